package io.walmesh.node.plugin;

/** A plugin operation that was refused; its {@link Kind} decides the admin API's status code. */
public final class PluginException extends RuntimeException {

  /** Why the operation was refused. */
  public enum Kind {
    /** The jar is not a valid walmesh plugin (HTTP 400). */
    BAD_JAR,
    /** The plugin loaded but failed to start (HTTP 422). */
    FAILED_START,
    /** No plugin with that id is installed (HTTP 404). */
    NOT_FOUND,
    /** The plugin clashes with another plugin or is still used by namespaces (HTTP 409). */
    CONFLICT,
    /** The jar is over a {@link PluginLimits} bound: too big, too many entries, unpacks too large (HTTP 413). */
    TOO_LARGE,
    /** The jar's SHA-256 is not in the node's {@code plugins.allowed-sha256} (HTTP 403). */
    NOT_ALLOWED
  }

  private final Kind kind;

  public PluginException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
