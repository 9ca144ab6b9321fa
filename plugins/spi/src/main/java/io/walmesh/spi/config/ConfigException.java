package io.walmesh.spi.config;

/** A configuration value is missing or invalid; {@link #field()} is the full path of the bad field. */
public final class ConfigException extends RuntimeException {
  private final String field;

  public ConfigException(String field, String problem) {
    super(field + ": " + problem, null, false, false);
    this.field = field;
  }

  /** The full path of the field at fault, e.g. {@code retry.max-attempts}. */
  public String field() {
    return field;
  }
}
