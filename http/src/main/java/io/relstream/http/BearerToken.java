package io.relstream.http;

/**
 * Where a process finds its bearer token: the {@code --token} flag, else the environment variable
 * {@value #ENV}. The supervisor hands the token to its children in the environment, so it never shows in a
 * process listing ({@code ps} prints every argument; another user cannot read a process's environment).
 */
public final class BearerToken {
  /** The environment variable read when no {@code --token} flag is given. */
  public static final String ENV = "RELSTREAM_TOKEN";

  private BearerToken() {}

  /** {@code flagValue} when given, else {@value #ENV} when set and not blank, else null. */
  public static String resolve(String flagValue) {
    if (flagValue != null && !flagValue.isBlank()) {
      return flagValue;
    }
    String env = System.getenv(ENV);
    return env == null || env.isBlank() ? null : env;
  }
}
