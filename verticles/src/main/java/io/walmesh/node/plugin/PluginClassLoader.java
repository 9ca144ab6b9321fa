package io.walmesh.node.plugin;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The class loader of one hot-loaded plugin: child-first, so a plugin can bring its own version of
 * a library, except for the packages the node shares with every plugin (the JDK, the walmesh SPI,
 * Vert.x, Netty, Jackson and SLF4J), which always come from the node. Resources are looked up in
 * the plugin first. Closed when the plugin is unloaded.
 */
final class PluginClassLoader extends URLClassLoader {
  static {
    ClassLoader.registerAsParallelCapable();
  }

  /** Package prefixes always loaded by the node's class loader: the contract between node and plugin. */
  static final List<String> SHARED_PACKAGES = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.",
      "io.walmesh.spi.", "io.vertx.", "io.netty.", "com.fasterxml.jackson.", "org.slf4j.");

  private final String pluginId;

  PluginClassLoader(String pluginId, URL[] urls, ClassLoader parent) {
    super("walmesh-plugin-" + pluginId, urls, parent);
    this.pluginId = pluginId;
  }

  static boolean shared(String className) {
    for (String prefix : SHARED_PACKAGES) {
      if (className.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    if (shared(name)) {
      return super.loadClass(name, resolve);
    }
    synchronized (getClassLoadingLock(name)) {
      Class<?> loaded = findLoadedClass(name);
      if (loaded == null) {
        try {
          loaded = findClass(name);
        } catch (ClassNotFoundException notInPlugin) {
          loaded = getParent().loadClass(name);
        }
      }
      if (resolve) {
        resolveClass(loaded);
      }
      return loaded;
    }
  }

  @Override
  public URL getResource(String name) {
    URL local = findResource(name);
    return local != null ? local : super.getResource(name);
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    List<URL> urls = new ArrayList<>(Collections.list(findResources(name)));
    urls.addAll(Collections.list(getParent().getResources(name)));
    return Collections.enumeration(urls);
  }

  @Override
  public String toString() {
    return "PluginClassLoader[" + pluginId + "]";
  }
}
