package io.walmesh.node;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.walmesh.spi.config.ConfigException;
import java.util.Map;

/**
 * Fills {@code ${NAME}} and {@code ${NAME:-default}} in a node config file from the environment, so one file
 * serves every node of a StatefulSet or a compose file ({@code "node-id": "${WALMESH_NODE_ID}"}).
 *
 * <p>Inside a JSON string the value is inserted as text and escaped, so a quote in it cannot change the
 * document's shape. Outside a string ({@code "insecure": ${WALMESH_INSECURE:-false}}) the value must itself be
 * one JSON value (a number, {@code true}, {@code false}, a list such as {@code ["a","b"]}); anything else is
 * refused with the variable's name. A variable that is not set and has no default is refused too: a config must
 * not silently mean something else on another host. {@code $$} stands for a literal {@code $}.
 */
public final class EnvPlaceholders {
  private EnvPlaceholders() {
  }

  public static String expand(String text, Map<String, String> env) {
    StringBuilder out = new StringBuilder(text.length());
    boolean inString = false;
    int line = 1;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        line++;
      }
      if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '$') {
        out.append('$');
        i++;
        continue;
      }
      if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '{') {
        int end = text.indexOf('}', i + 2);
        if (end < 0) {
          throw new ConfigException("(line " + line + ")", "\"${\" without a closing \"}\"");
        }
        String value = lookup(text.substring(i + 2, end), env, line);
        out.append(inString ? escaped(value) : jsonValue(value, text.substring(i, end + 1), line));
        i = end;
        continue;
      }
      if (inString && c == '\\' && i + 1 < text.length()) {
        out.append(c).append(text.charAt(++i));
        continue;
      }
      if (c == '"') {
        inString = !inString;
      }
      out.append(c);
    }
    return out.toString();
  }

  private static String lookup(String expression, Map<String, String> env, int line) {
    int colon = expression.indexOf(":-");
    String name = colon < 0 ? expression : expression.substring(0, colon);
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new ConfigException("(line " + line + ")", "\"${" + expression + "}\" does not name an environment variable;"
          + " write ${NAME} or ${NAME:-default}");
    }
    String value = env.get(name);
    if (value == null || value.isEmpty()) {
      if (colon < 0) {
        throw new ConfigException("(line " + line + ")", "${" + name + "} is not set in the environment; set it, or"
            + " give a default with ${" + name + ":-value}");
      }
      return expression.substring(colon + 2);
    }
    return value;
  }

  private static String escaped(String value) {
    String quoted = Json.encode(value);
    return quoted.substring(1, quoted.length() - 1);
  }

  private static String jsonValue(String value, String placeholder, int line) {
    try {
      Json.decodeValue(value);
      return value;
    } catch (DecodeException e) {
      throw new ConfigException("(line " + line + ")", placeholder + " is outside quotes, so its value must be one JSON"
          + " value (a number, true, false or a list), not " + Json.encode(value) + "; put the placeholder in quotes for"
          + " text");
    }
  }
}
