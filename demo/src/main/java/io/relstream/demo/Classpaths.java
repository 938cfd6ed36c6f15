package io.relstream.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runtime classpaths of the modules, as written by each module's build (target/classpath.txt). */
final class Classpaths {
  private Classpaths() {}

  static String of(Path home, String module) throws IOException {
    Path target = home.resolve(module).resolve("target");
    Path file = target.resolve("classpath.txt");
    if (!Files.exists(file)) {
      throw new IOException(module + " is not built (" + file + " missing): run ./relstream demo, which builds it");
    }
    String deps = Files.readString(file).strip();
    try (var jars = Files.list(target)) {
      String jar = jars.map(Path::toString)
          .filter(p -> p.endsWith(".jar") && p.contains("relstream-" + module)).findFirst()
          .orElseThrow(() -> new IOException("no jar of " + module + " under " + target));
      return jar + (deps.isEmpty() ? "" : ":" + deps);
    }
  }
}
