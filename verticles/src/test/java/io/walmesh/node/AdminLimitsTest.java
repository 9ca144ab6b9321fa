package io.walmesh.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import io.walmesh.node.plugin.PluginLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input on the admin API, sent the way an attacker would (raw sockets, the JDK client, no
 * content type, lying zip headers) to a real node: every refusal names the limit, echoes nothing,
 * and the node keeps serving right after.
 */
class AdminLimitsTest extends SingleNodeTest {
  private static final String DESCRIPTOR = "{\"id\":\"bomb\",\"version\":\"1.0.0\",\"targets\":[\"bomb\"]}";
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path jars;

  @AfterEach
  void defaultLimits() {
    node.pluginManager().limits(PluginLimits.DEFAULTS);
  }

  /** A good admin call right after an attack: a good plugin installs, and health answers. */
  void stillServes() {
    Path good = PluginHotLoadTest.echoPlugin("limits-echo", "limits-echo", "1.0.0", "com.example.limitsecho", "",
        "\"1.0.0\"").writeTo(jars.resolve("limits-echo-1.0.0.jar"));
    AdminHttp.Response installed = admin.postFile("/v1/plugins", good);
    assertThat(installed.status()).as(installed.text()).isEqualTo(201);
    assertThat(installed.body().getString("id")).isEqualTo("limits-echo");
    assertThat(admin.get("/v1/health").status()).isEqualTo(200);
  }

  List<Path> uploadFiles() throws IOException {
    try (Stream<Path> files = Files.list(dataDir)) {
      return files.filter(f -> f.getFileName().toString().startsWith("plugin-upload-")).toList();
    }
  }

  static long treeSize(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  static HttpResponse<String> post(String path, String contentType, HttpRequest.BodyPublisher body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .timeout(Duration.ofSeconds(60)).POST(body);
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A raw HTTP/1.1 request: its head, then body bytes a thread writes until the server answers or {@code total} went. */
  static final class RawRequest implements AutoCloseable {
    final Socket socket;
    final AtomicLong sent = new AtomicLong();
    final Thread writer;

    RawRequest(String head, long total, boolean finish) throws IOException {
      socket = new Socket("127.0.0.1", node.adminPort());
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      writer = new Thread(() -> {
        byte[] chunk = new byte[64 * 1024];
        byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        try {
          while (sent.get() < total) {
            out.write(size);
            out.write(chunk);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            sent.addAndGet(chunk.length);
          }
          if (finish) {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          }
          out.flush();
        } catch (IOException refused) {
          // the server closed the connection: expected once it refused the body
        }
      }, "raw-upload");
      writer.start();
    }

    static RawRequest chunkedUpload(long total, boolean finish) throws IOException {
      return new RawRequest("POST /v1/plugins HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n", total,
          finish);
    }

    /** The response as text, read until the server closes; and how much body was sent when it began. */
    String response(AtomicLong sentWhenAnswered) throws IOException {
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      int first = in.read();
      sentWhenAnswered.set(sent.get());
      if (first < 0) {
        return "";
      }
      text.write(first);
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) > 0; ) {
          text.write(buffer, 0, n);
        }
      } catch (IOException reset) {
        // a reset after the answer: what came before it counts
      }
      return text.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
      socket.close();
      writer.join(30_000);
    }
  }

  @Test
  void aChunkedUploadOverTheLimitIsRefusedWhileItStreamsToDisk() throws Exception {
    long limit = PluginLimits.DEFAULT_MAX_JAR_BYTES;
    AtomicLong sentWhenAnswered = new AtomicLong();
    String response;
    try (RawRequest upload = RawRequest.chunkedUpload(300L << 20, true)) {
      // it streams to a file in the data directory, not into memory
      await().atMost(Duration.ofSeconds(60)).until(() -> uploadFiles().stream().anyMatch(f -> f.toFile().length() > 64 << 20));
      response = upload.response(sentWhenAnswered);
    }
    assertThat(response).startsWith("HTTP/1.1 413").contains("plugin jar over " + limit + " bytes")
        .contains("max-jar-bytes");
    // refused as soon as the limit was passed, not after reading all 300 MB
    assertThat(sentWhenAnswered.get()).isLessThan(limit + (32 << 20));
    await().atMost(Duration.ofSeconds(10)).until(() -> uploadFiles().isEmpty());
    stillServes();
  }

  @Test
  void aDeclaredContentLengthOverTheLimitIsRefusedBeforeTheBody() throws Exception {
    AtomicLong ignored = new AtomicLong();
    try (RawRequest upload = new RawRequest("POST /v1/plugins HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999999\r\n"
        + "Expect: 100-continue\r\n\r\n", 0, false)) {
      assertThat(upload.response(ignored)).startsWith("HTTP/1.1 413").contains("max-jar-bytes")
          .doesNotContain("100 Continue");
    }
    // a JSON route: 1 MiB
    try (RawRequest json = new RawRequest("POST /v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: 2000000\r\n\r\n", 0, false)) {
      assertThat(json.response(ignored)).startsWith("HTTP/1.1 413").contains("request body over 1048576 bytes");
    }
    stillServes();
  }

  @Test
  void atMostTwoUploadsStreamAtOnce() throws Exception {
    try (RawRequest first = RawRequest.chunkedUpload(64 * 1024, false);
         RawRequest second = RawRequest.chunkedUpload(64 * 1024, false)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> uploadFiles().size() == 2);
      HttpResponse<String> third = post("/v1/plugins", "application/java-archive", HttpRequest.BodyPublishers.ofString("x"));
      assertThat(third.statusCode()).isEqualTo(429);
      assertThat(new JsonObject(third.body()).getString("error")).contains("too many plugin uploads").contains("at most 2");
      assertThat(third.headers().firstValue("Retry-After")).isPresent();
    }
    // the clients went away: their files are deleted and their slots free
    await().atMost(Duration.ofSeconds(10)).until(() -> uploadFiles().isEmpty());
    stillServes();
  }

  @Test
  void aJarUploadedWithoutOrWithAFormContentTypeInstallsAndErrorsEchoNothing() throws Exception {
    Path good = PluginHotLoadTest.echoPlugin("ctype-echo", "ctype-echo", "1.0.0", "com.example.ctypeecho", "", "\"1.0.0\"")
        .writeTo(jars.resolve("ctype-echo-1.0.0.jar"));
    HttpResponse<String> none = post("/v1/plugins", null, HttpRequest.BodyPublishers.ofFile(good));
    assertThat(none.statusCode()).as(none.body()).isEqualTo(201);
    // what curl --data-binary sends
    HttpResponse<String> form = post("/v1/plugins", "application/x-www-form-urlencoded", HttpRequest.BodyPublishers.ofFile(good));
    assertThat(form.statusCode()).as(form.body()).isEqualTo(201);

    byte[] junk = new byte[200_000];
    new java.util.Random(7).nextBytes(junk);
    System.arraycopy("%zz\u0000SECRET-BYTES".getBytes(StandardCharsets.ISO_8859_1), 0, junk, 0, 16);
    HttpResponse<String> bad = post("/v1/plugins", "application/x-www-form-urlencoded", HttpRequest.BodyPublishers.ofByteArray(junk));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("is not a readable jar").doesNotContain("SECRET").hasSizeLessThan(1_000);
    assertThat(bad.body().chars().allMatch(c -> c >= 0x20 || c == '\n' || c == '\r' || c == '\t')).isTrue();
    // the error names the upload, never the node's temporary file (which the user does not know)
    assertThat(new JsonObject(bad.body()).getString("error")).startsWith("plugin jar (uploaded): is not a readable jar")
        .doesNotContain("plugin-upload-").doesNotContain(".tmp");
    // ...or the file name the client gave (walmesh plugins install sends it): its last path segment only
    HttpResponse<String> named = post("/v1/plugins?filename=" + java.net.URLEncoder.encode("/home/ada/my plugin.jar",
        StandardCharsets.UTF_8), null, HttpRequest.BodyPublishers.ofByteArray(junk));
    assertThat(named.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(named.body()).getString("error")).startsWith("plugin jar my plugin.jar: is not a readable jar")
        .doesNotContain("plugin-upload-").doesNotContain("/home/ada");

    HttpResponse<String> empty = post("/v1/plugins", null, HttpRequest.BodyPublishers.noBody());
    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(empty.body()).contains("must be the plugin jar");
    stillServes();
  }

  /** A plugin jar with a valid descriptor and one more entry of {@code zeros} zero bytes, deflated. */
  static Path bomb(Path file, String entryName, long zeros) throws IOException {
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file))) {
      jar.putNextEntry(new JarEntry("META-INF/walmesh-plugin.json"));
      jar.write(DESCRIPTOR.getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
      ZipEntry entry = new JarEntry(entryName);
      entry.setMethod(ZipEntry.DEFLATED);
      jar.putNextEntry(entry);
      byte[] block = new byte[1 << 20];
      for (long left = zeros; left > 0; left -= block.length) {
        jar.write(block, 0, (int) Math.min(block.length, left));
      }
      jar.closeEntry();
    }
    return file;
  }

  /** Rewrites the uncompressed size the central directory declares for {@code entryName}: a lying header. */
  static void lieAboutSize(Path jar, String entryName, int declared) throws IOException {
    byte[] bytes = Files.readAllBytes(jar);
    byte[] name = entryName.getBytes(StandardCharsets.UTF_8);
    for (int i = bytes.length - 46; i >= 0; i--) {
      if (bytes[i] == 0x50 && bytes[i + 1] == 0x4b && bytes[i + 2] == 0x01 && bytes[i + 3] == 0x02
          && java.util.Arrays.equals(bytes, i + 46, i + 46 + name.length, name, 0, name.length)) {
        java.nio.ByteBuffer.wrap(bytes, i + 24, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(declared);
        Files.write(jar, bytes);
        return;
      }
    }
    throw new IllegalStateException("no central directory entry " + entryName);
  }

  @Test
  void aZipBombIsRefusedBeforeUnpackingAndNothingLargeIsWritten() throws Exception {
    // 300 MB of zeros deflate to about 300 KB; its declared size is over max-entry-bytes (256 MiB)
    Path declared = bomb(jars.resolve("declared.jar"), "lib/zeros.jar", 300L << 20);
    assertThat(Files.size(declared)).isLessThan(2 << 20);
    AdminHttp.Response refused = admin.postFile("/v1/plugins", declared);
    assertThat(refused.status()).as(refused.text()).isEqualTo(413);
    assertThat(refused.body().getString("error")).contains("lib/zeros.jar").contains("268435456").contains("max-entry-bytes");
    assertThat(treeSize(dataDir.resolve("plugin-runtime"))).isLessThan(5 << 20);

    // lower limits, and headers that lie: the bytes actually inflated are counted
    node.pluginManager().limits(new PluginLimits(PluginLimits.DEFAULT_MAX_JAR_BYTES, 40L << 20, 20L << 20, 1_000));
    Path lying = bomb(jars.resolve("lying.jar"), "lib/zeros.jar", 100L << 20);
    lieAboutSize(lying, "lib/zeros.jar", 1_000);
    refused = admin.postFile("/v1/plugins", lying);
    assertThat(refused.status()).as(refused.text()).isEqualTo(413);
    assertThat(refused.body().getString("error")).contains("unpacks to more than " + (20L << 20)).contains("max-entry-bytes");
    assertThat(treeSize(dataDir.resolve("plugin-runtime"))).isLessThan(5 << 20);

    // many entries
    Path many = jars.resolve("many.jar");
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(many))) {
      jar.putNextEntry(new JarEntry("META-INF/walmesh-plugin.json"));
      jar.write(DESCRIPTOR.getBytes(StandardCharsets.UTF_8));
      for (int i = 0; i < 1_500; i++) {
        jar.putNextEntry(new JarEntry("e" + i));
      }
    }
    refused = admin.postFile("/v1/plugins", many);
    assertThat(refused.status()).as(refused.text()).isEqualTo(413);
    assertThat(refused.body().getString("error")).contains("over the limit of 1000 (max-entries)");

    // a jar larger than max-jar-bytes
    node.pluginManager().limits(new PluginLimits(100_000, 40L << 20, 20L << 20, 1_000));
    refused = admin.postFile("/v1/plugins", declared);
    assertThat(refused.status()).as(refused.text()).isEqualTo(413);
    assertThat(refused.body().getString("error")).contains("over 100000 bytes").contains("max-jar-bytes");

    node.pluginManager().limits(PluginLimits.DEFAULTS);
    assertThat(treeSize(dataDir.resolve("plugin-runtime"))).isLessThan(5 << 20);
    stillServes();
  }

  /**
   * A client that sends a whole upload before it reads the answer (java.net.http does) gets the 413 that names the
   * limit, not a reset connection: the node reads and drops the rest of a refused body before it closes the
   * connection, since closing a socket with unread bytes resets it and can take the answer with it.
   */
  @Test
  void aClientStillSendingARefusedUploadReadsTheRefusal() throws Exception {
    byte[] noise = new byte[4 << 20];
    new java.util.Random(7).nextBytes(noise); // incompressible: the socket's buffers fill
    Path large = Files.write(jars.resolve("large.jar"), noise);
    node.pluginManager().limits(new PluginLimits(100_000, 40L << 20, 20L << 20, 1_000));
    List<String> failed = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      try {
        AdminHttp.Response refused = admin.postFile("/v1/plugins", large);
        if (refused.status() != 413 || !refused.text().contains("max-jar-bytes")) {
          failed.add(i + ": " + refused.status() + " " + refused.text());
        }
      } catch (IllegalStateException e) {
        failed.add(i + ": " + e.getMessage());
      }
    }
    assertThat(failed).as("uploads over max-jar-bytes not answered 413").isEmpty();
    stillServes();
  }

  @Test
  void entryNamesThatEscapeTheJarAreRefused() throws Exception {
    for (String name : List.of("../outside.txt", "lib/../../outside.jar", "/tmp/outside.txt", "META-INF\\..\\..\\x")) {
      Path slip = jars.resolve("slip.jar");
      try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(slip))) {
        jar.putNextEntry(new JarEntry("META-INF/walmesh-plugin.json"));
        jar.write(DESCRIPTOR.getBytes(StandardCharsets.UTF_8));
        jar.putNextEntry(new JarEntry(name));
        jar.write("evil".getBytes(StandardCharsets.UTF_8));
      }
      AdminHttp.Response refused = admin.postFile("/v1/plugins", slip);
      assertThat(refused.status()).as(name + ": " + refused.text()).isEqualTo(400);
      assertThat(refused.body().getString("error")).as(name).contains("points outside the jar");
    }
    assertThat(Files.exists(dataDir.resolve("outside.txt"))).isFalse();
    assertThat(Files.exists(dataDir.resolve("outside.jar"))).isFalse();
    assertThat(Files.exists(dataDir.resolve("plugin-runtime").resolve("outside.jar"))).isFalse();
    stillServes();
  }

  @Test
  void replayTimesOutsideTheSaneRangeAre400NamingTheField() throws Exception {
    TestNodes.create(admin, TestNodes.namespace("limits-replay", sink.url("/x")));
    String path = "/v1/namespaces/limits-replay/replay";
    record Case(Object from, Object to, String field) {
    }
    for (Case c : List.of(
        new Case("+1000000000-01-01T00:00:00Z", null, "from"),
        new Case(1e30, null, "from"),
        new Case(new java.math.BigInteger("99999999999999999999999"), null, "from"),
        new Case(-5, null, "from"),
        new Case(1.5, null, "from"),
        new Case("2026-01-01T00:00:00Z", "-999999999-01-01T00:00:00Z", "to"),
        new Case("2026-01-01T00:00:00Z", 253402300800000L, "to"),
        new Case("not\u0000a\u0007time" + "x".repeat(5_000), null, "from"))) {
      JsonObject body = new JsonObject().put("from", c.from());
      if (c.to() != null) {
        body.put("to", c.to());
      }
      AdminHttp.Response response = admin.post(path, body);
      assertThat(response.status()).as(c + ": " + response.text()).isEqualTo(400);
      assertThat(response.body().getString("field")).as(c.toString()).isEqualTo(c.field());
      assertThat(response.text()).hasSizeLessThan(1_000).doesNotContain("\\u0000").doesNotContain("overflow");
    }
    // a JSON body sent as a form (curl -d without a content type), and broken JSON: 400, not 500, nothing echoed
    HttpResponse<String> form = post(path, "application/x-www-form-urlencoded",
        HttpRequest.BodyPublishers.ofString("{\"from\": \"%zz SECRET\"}"));
    assertThat(form.statusCode()).as(form.body()).isEqualTo(400);
    assertThat(form.body()).contains("from").doesNotContain("SECRET");
    HttpResponse<String> broken = post(path, "application/json", HttpRequest.BodyPublishers.ofString("{\"from\": SECRET"));
    assertThat(broken.statusCode()).as(broken.body()).isEqualTo(400);
    assertThat(broken.body()).contains("(body)").contains("invalid JSON").doesNotContain("SECRET");
    for (String notAnObject : List.of("null", "[1]", "\"SECRET\"", "{\"from\": \"SECRET\"")) {
      HttpResponse<String> bad = post(path, "application/json", HttpRequest.BodyPublishers.ofString(notAnObject));
      assertThat(bad.statusCode()).as(notAnObject + ": " + bad.body()).isEqualTo(400);
      assertThat(bad.body()).as(notAnObject).contains("(body)").doesNotContain("SECRET");
    }

    // a sane range gets past the checks (the local backend without retention refuses replay: 409)
    AdminHttp.Response sane = admin.post(path, new JsonObject().put("from", "2026-01-01T00:00:00Z").put("to", 253402300799999L));
    assertThat(sane.status()).as(sane.text()).isEqualTo(409);
    assertThat(admin.get("/v1/namespaces/limits-replay").status()).isEqualTo(200);
  }
}
