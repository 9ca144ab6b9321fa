package io.walmesh.node.namespace;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps secrets in namespace documents out of API answers. A value is secret when its field name
 * says so (password, secret, token, authorization, api key, credentials, private or access key,
 * JAAS config) or when it is the userinfo of a URL ({@code http://user:pass@host}). Answers show
 * {@value #REDACTED} in their place; a document sent back with the placeholder keeps the stored
 * value, so "get, edit, put" never overwrites a secret with the placeholder.
 */
public final class Secrets {
  /** What answers show instead of a secret value. */
  public static final String REDACTED = "(redacted)";
  private static final Pattern SECRET_FIELD = Pattern.compile(
      "(?i).*(passw|secret|token|authorization|api[-_.]?key|credential|private[-_.]?key|access[-_.]?key|jaas|cookie).*");
  /** The userinfo part of a URL: scheme://USERINFO@host. */
  private static final Pattern URL_USERINFO = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@\\s]+)@");

  private Secrets() {
  }

  /** Whether a field of this name holds a secret. */
  public static boolean isSecretField(String name) {
    return SECRET_FIELD.matcher(name).matches();
  }

  /**
   * A copy of the document with every secret value replaced by {@link #REDACTED}: fields named as
   * secrets, URL userinfo, and the fields the document's plugins declare secret ({@code declared}
   * answers, for ("backend" or "target", type), the dotted paths inside that plugin's {@code config}).
   */
  public static JsonObject redact(JsonObject document, java.util.function.BiFunction<String, String, java.util.Set<String>> declared) {
    JsonObject copy = document.copy();
    if (copy.getValue("backend") instanceof JsonObject backend) {
      redactDeclared(backend, declared.apply("backend", backend.getString("type", NamespaceConfig.DEFAULT_BACKEND_TYPE)));
    }
    if (copy.getValue("targets") instanceof JsonArray targets) {
      for (Object target : targets) {
        if (target instanceof JsonObject t && t.getValue("type") instanceof String type) {
          redactDeclared(t, declared.apply("target", type));
        }
      }
    }
    return (JsonObject) redactValue(null, copy);
  }

  private static void redactDeclared(JsonObject plugin, java.util.Set<String> paths) {
    if (paths == null || !(plugin.getValue("config") instanceof JsonObject config)) {
      return;
    }
    for (String path : paths) {
      redactPath(config, path);
    }
  }

  /** Redacts the value at a dotted path, matching the longest key at each level (keys may contain dots). */
  private static void redactPath(JsonObject object, String path) {
    for (int end = path.length(); end > 0; end = path.lastIndexOf('.', end - 1)) {
      String key = path.substring(0, end);
      if (!object.containsKey(key)) {
        continue;
      }
      if (end == path.length()) {
        if (object.getValue(key) != null) {
          object.put(key, REDACTED);
        }
      } else if (object.getValue(key) instanceof JsonObject inner) {
        redactPath(inner, path.substring(end + 1));
      }
      return;
    }
  }

  private static Object redactValue(String field, Object value) {
    if (value instanceof JsonObject object) {
      for (Map.Entry<String, Object> entry : object) {
        entry.setValue(redactValue(entry.getKey(), entry.getValue()));
      }
      return object;
    }
    if (value instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, redactValue(field, array.getValue(i)));
      }
      return array;
    }
    if (value != null && field != null && isSecretField(field)) {
      return REDACTED;
    }
    if (value instanceof String text) {
      return redactUrl(text);
    }
    return value;
  }

  /** The text with the userinfo of any URL in it replaced: {@code http://(redacted)@host}. */
  public static String redactUrl(String text) {
    return text.contains("@") ? URL_USERINFO.matcher(text).replaceAll("$1" + Matcher.quoteReplacement(REDACTED) + "@") : text;
  }

  /**
   * The incoming document with each {@link #REDACTED} placeholder replaced by the stored value at the
   * same place (array items that have a "name" are matched by name). A placeholder with no stored
   * value to take is refused, naming the field.
   */
  public static JsonObject restore(JsonObject incoming, JsonObject stored) {
    return (JsonObject) restoreValue("", incoming.copy(), stored);
  }

  private static Object restoreValue(String path, Object value, Object stored) {
    if (value instanceof JsonObject object) {
      JsonObject before = stored instanceof JsonObject s ? s : null;
      for (Map.Entry<String, Object> entry : object) {
        String field = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
        entry.setValue(restoreValue(field, entry.getValue(), before == null ? null : before.getValue(entry.getKey())));
      }
      return object;
    }
    if (value instanceof JsonArray array) {
      JsonArray before = stored instanceof JsonArray s ? s : null;
      for (int i = 0; i < array.size(); i++) {
        array.set(i, restoreValue(path + "[" + i + "]", array.getValue(i), before == null ? null : matching(array.getValue(i), before, i)));
      }
      return array;
    }
    if (value instanceof String text && text.contains(REDACTED)) {
      if (text.equals(REDACTED) && stored != null && !(stored instanceof JsonObject) && !(stored instanceof JsonArray)) {
        return stored;
      }
      if (stored instanceof String before && redactUrl(before).equals(text)) {
        return before; // the same URL, its userinfo kept
      }
      throw new ConfigException(path, "holds \"" + REDACTED + "\", the placeholder walmesh shows instead of a secret,"
          + " and there is no stored value to keep; give the real value");
    }
    return value;
  }

  private static Object matching(Object item, JsonArray before, int index) {
    if (item instanceof JsonObject object && object.getValue("name") instanceof String name) {
      for (Object candidate : before) {
        if (candidate instanceof JsonObject c && name.equals(c.getValue("name"))) {
          return c;
        }
      }
      return null;
    }
    return index < before.size() ? before.getValue(index) : null;
  }
}
