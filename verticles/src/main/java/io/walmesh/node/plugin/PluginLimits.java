package io.walmesh.node.plugin;

/**
 * The bounds a plugin jar must keep, whether it is uploaded, dropped into the plugins directory or
 * received from the mesh. They are checked before anything is unpacked (the sizes the jar's
 * central directory declares), and again while unpacking, on the bytes actually inflated, since a
 * zip header can lie. A jar over a bound is refused with a {@link PluginException} of kind
 * {@link PluginException.Kind#TOO_LARGE} naming the limit.
 *
 * @param maxJarBytes the largest plugin jar (the upload, or the file in the plugins directory)
 * @param maxUnpackedBytes the most uncompressed bytes in the jar's entries plus those of its nested
 *     {@code lib/} jars' entries
 * @param maxEntryBytes the largest single uncompressed entry, e.g. a nested {@code lib/*.jar}
 * @param maxEntries the most entries in the jar, and in each nested jar
 * @param maxMeshJarBytes the largest jar a node of a mesh installs from an upload or its plugins directory and
 *     publishes: the mesh keeps every published jar in its nodes' heaps (the map, its backup, each node's copy)
 */
public record PluginLimits(long maxJarBytes, long maxUnpackedBytes, long maxEntryBytes, int maxEntries,
                           long maxMeshJarBytes) {
  /** 256 MiB: the largest plugin jar, by default. */
  public static final long DEFAULT_MAX_JAR_BYTES = 256L << 20;
  /** 1 GiB: the most uncompressed bytes of a plugin jar and its nested jars, by default. */
  public static final long DEFAULT_MAX_UNPACKED_BYTES = 1L << 30;
  /** 256 MiB: the largest uncompressed entry (e.g. a nested jar), by default. */
  public static final long DEFAULT_MAX_ENTRY_BYTES = 256L << 20;
  /** The most entries in a plugin jar (and in each jar it nests), by default. */
  public static final int DEFAULT_MAX_ENTRIES = 100_000;
  /**
   * 64 KiB: the largest descriptor ({@code META-INF/walmesh-plugin.json}) and
   * {@code META-INF/services/*} file, which the node reads into memory; not configurable.
   */
  public static final int MAX_METADATA_BYTES = 64 << 10;
  /**
   * 16 MiB: the largest jar a mesh publishes, by default. A published jar stays in the heap of the node that holds its
   * map entry and of the one that holds the backup, and passes through every node's heap when it arrives: with the
   * launcher's 256 MB heap, a jar much larger would make nodes run out of memory.
   */
  public static final long DEFAULT_MAX_MESH_JAR_BYTES = 16L << 20;
  /** The defaults. */
  public static final PluginLimits DEFAULTS = new PluginLimits(DEFAULT_MAX_JAR_BYTES, DEFAULT_MAX_UNPACKED_BYTES,
      DEFAULT_MAX_ENTRY_BYTES, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_MESH_JAR_BYTES);

  public PluginLimits {
    if (maxJarBytes < 1 || maxUnpackedBytes < 1 || maxEntryBytes < 1 || maxEntries < 1 || maxMeshJarBytes < 1) {
      throw new IllegalArgumentException("plugin limits must be positive: " + maxJarBytes + ", " + maxUnpackedBytes + ", "
          + maxEntryBytes + ", " + maxEntries + ", " + maxMeshJarBytes);
    }
  }

  /** The limits, with the mesh's default for {@link #maxMeshJarBytes}. */
  public PluginLimits(long maxJarBytes, long maxUnpackedBytes, long maxEntryBytes, int maxEntries) {
    this(maxJarBytes, maxUnpackedBytes, maxEntryBytes, maxEntries, DEFAULT_MAX_MESH_JAR_BYTES);
  }
}
