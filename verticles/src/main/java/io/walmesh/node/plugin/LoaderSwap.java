package io.walmesh.node.plugin;

/**
 * Sets the thread's context class loader to a plugin's for the length of a try-with-resources
 * block, so that code inside the plugin that looks up classes or resources by context finds its own.
 */
final class LoaderSwap implements AutoCloseable {
  private final Thread thread = Thread.currentThread();
  private final ClassLoader previous;

  LoaderSwap(ClassLoader loader) {
    previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
  }

  @Override
  public void close() {
    thread.setContextClassLoader(previous);
  }
}
