package io.walmesh.containers;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The walmesh image under test, built once per test JVM from docker/Dockerfile (the image users build), tagged
 * {@code localhost/walmesh:test}. {@code -Dwalmesh.image=NAME -Dwalmesh.image.build=false} tests an image built
 * elsewhere instead. Docker's layer cache makes a rebuild of unchanged sources quick.
 */
final class Images {
  static final String WALMESH = System.getProperty("walmesh.image", "localhost/walmesh:test");
  private static boolean built;

  private Images() {
  }

  static synchronized String walmesh() {
    if (!built && Boolean.parseBoolean(System.getProperty("walmesh.image.build", "true"))) {
      Path repo = Path.of(System.getProperty("walmesh.repo", "..")).toAbsolutePath().normalize();
      Path log = repo.resolve("container-tests/target/docker-build.log");
      try {
        Files.createDirectories(log.getParent());
        // --network host: the Maven build inside reaches the registry the same way this machine does
        Process build = new ProcessBuilder(List.of("docker", "build", "--network", "host", "-f",
            repo.resolve("docker/Dockerfile").toString(), "-t", WALMESH, repo.toString()))
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!build.waitFor(15, TimeUnit.MINUTES)) {
          build.destroyForcibly();
          fail("docker build of " + WALMESH + " took over 15 minutes; see " + log);
        }
        if (build.exitValue() != 0) {
          List<String> lines = Files.readAllLines(log);
          fail("docker build of " + WALMESH + " failed (exit " + build.exitValue() + "); " + log + " ends with:\n"
              + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
        }
      } catch (IOException e) {
        fail("cannot run docker build (is the docker CLI installed and an engine running?): " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted building " + WALMESH);
      }
      built = true;
    }
    return WALMESH;
  }
}
