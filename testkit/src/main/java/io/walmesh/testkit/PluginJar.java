package io.walmesh.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * Builds real jars at test time from small Java sources, compiled against the test's class path:
 * walmesh plugin jars (classes, {@code META-INF/services}, {@code META-INF/walmesh-plugin.json},
 * nested {@code lib/} jars) and plain library jars to nest in them. A builder can also leave out or
 * spoil any part, to make the broken jars a user might install.
 */
public final class PluginJar {
  private final Map<String, String> sources = new LinkedHashMap<>();
  private final Map<String, byte[]> resources = new LinkedHashMap<>();
  private final List<Path> libs = new ArrayList<>();

  private PluginJar() {
  }

  /** A new, empty jar. */
  public static PluginJar create() {
    return new PluginJar();
  }

  /** Adds a Java source for a class, e.g. {@code source("com.example.EchoFactory", "package com.example; ...")}. */
  public PluginJar source(String className, String code) {
    sources.put(className, code);
    return this;
  }

  /** Adds a file to the jar as is. */
  public PluginJar resource(String path, String content) {
    resources.put(path, content.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** Adds the descriptor {@code META-INF/walmesh-plugin.json} of a plugin with these target types. */
  public PluginJar descriptor(String id, String version, String... targetTypes) {
    StringBuilder json = new StringBuilder("{\"id\":\"" + id + "\",\"version\":\"" + version + "\",\"description\":\"test plugin "
        + id + "\",\"targets\":[");
    for (int i = 0; i < targetTypes.length; i++) {
      json.append(i == 0 ? "" : ",").append('"').append(targetTypes[i]).append('"');
    }
    return resource("META-INF/walmesh-plugin.json", json.append("]}").toString());
  }

  /** Lists target factory classes in {@code META-INF/services/io.walmesh.spi.target.TargetFactory}. */
  public PluginJar targetFactories(String... classNames) {
    return resource("META-INF/services/io.walmesh.spi.target.TargetFactory", String.join("\n", classNames) + "\n");
  }

  /** Nests a library jar under {@code lib/}; the sources are compiled against it too. */
  public PluginJar lib(Path jar) {
    libs.add(jar);
    return this;
  }

  /** Compiles the sources and writes the jar to {@code file}. */
  public Path writeTo(Path file) {
    try {
      Path classes = Files.createTempDirectory("plugin-classes-");
      compile(classes);
      Files.createDirectories(file.toAbsolutePath().getParent());
      try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file))) {
        try (Stream<Path> walk = Files.walk(classes)) {
          for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
            put(jar, classes.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
          }
        }
        for (Map.Entry<String, byte[]> resource : resources.entrySet()) {
          put(jar, resource.getKey(), resource.getValue());
        }
        for (Path lib : libs) {
          put(jar, "lib/" + lib.getFileName(), Files.readAllBytes(lib));
        }
      }
      Directories.deleteTree(classes);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void put(JarOutputStream jar, String path, byte[] bytes) throws IOException {
    jar.putNextEntry(new JarEntry(path));
    jar.write(bytes);
    jar.closeEntry();
  }

  private void compile(Path classes) {
    if (sources.isEmpty()) {
      return;
    }
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (compiler == null) {
      throw new IllegalStateException("no Java compiler: run the tests on a JDK, not a JRE");
    }
    List<JavaFileObject> units = new ArrayList<>();
    sources.forEach((name, code) -> units.add(new SimpleJavaFileObject(
        URI.create("string:///" + name.replace('.', '/') + ".java"), JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return code;
      }
    }));
    StringBuilder classPath = new StringBuilder(System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path")));
    libs.forEach(lib -> classPath.append(java.io.File.pathSeparator).append(lib.toAbsolutePath()));
    java.io.StringWriter errors = new java.io.StringWriter();
    boolean ok = compiler.getTask(errors, null, null, List.of("-d", classes.toString(), "-classpath", classPath.toString(),
        "--release", "17", "-proc:none"), null, units).call();
    if (!ok) {
      throw new IllegalStateException("compiling test plugin sources failed:\n" + errors);
    }
  }

  /** Writes raw bytes as a "jar" (e.g. garbage, to test what a node does with it). */
  public static Path writeBytes(Path file, byte[] bytes) {
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(bytes);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
