package io.relstream.replay;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * GNU-style options: {@code --name value}, {@code --name=value}, and boolean flags. Every option is
 * declared up front so a misspelt one is an error, never silently ignored.
 */
public final class Args {
  private final Map<String, String> values = new LinkedHashMap<>();

  private Args() {}

  public static Args parse(String[] argv, Set<String> valued, Set<String> flags) throws UsageException {
    Args a = new Args();
    for (int k = 0; k < argv.length; k++) {
      String arg = argv[k];
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new UsageException("unexpected argument '" + arg + "' (options start with --; see --help)");
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (flags.contains(name)) {
        if (value != null) {
          throw new UsageException("option --" + name + " takes no value");
        }
        a.values.put(name, "true");
      } else if (valued.contains(name)) {
        if (value == null) {
          if (k + 1 >= argv.length || argv[k + 1].startsWith("--")) {
            throw new UsageException("option --" + name + " needs a value");
          }
          value = argv[++k];
        }
        a.values.put(name, value);
      } else {
        throw new UsageException("unknown option --" + name + " (see --help)");
      }
    }
    return a;
  }

  /** The options given, in command-line order (a repeated option counts once). */
  public Set<String> given() {
    return Collections.unmodifiableSet(values.keySet());
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  public int getInt(String name, int fallback, int min, int max) throws UsageException {
    String v = values.get(name);
    if (v == null) return fallback;
    try {
      int x = Integer.parseInt(v.replace("_", ""));
      if (x < min || x > max) {
        throw new UsageException("--" + name + " must be between " + min + " and " + max + ", got " + v);
      }
      return x;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " expects an integer, got '" + v + "'");
    }
  }

  /** A float option within [min, max], or null when absent. */
  public Float getFloat(String name, float min, float max) throws UsageException {
    String v = values.get(name);
    if (v == null) return null;
    try {
      float x = Float.parseFloat(v);
      if (!(x >= min && x <= max)) {
        throw new UsageException("--" + name + " must be between " + min + " and " + max + ", got " + v);
      }
      return x;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " expects a number, got '" + v + "'");
    }
  }
}
