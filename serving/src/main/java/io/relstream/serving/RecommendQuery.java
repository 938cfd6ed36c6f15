package io.relstream.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.http.ApiException;
import io.relstream.http.ApiRequest;
import io.relstream.http.Uris;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The parameters of a recommendation query, parsed by the rules of the API.
 * <ul>
 *   <li>GET {@code /recommend/{user}?k=10&exclude=ID,ID&include=ID,ID}: a list is repeated parameters,
 *       comma-separated values, or both; a comma inside an id is sent as {@code %2C} (values are split on
 *       the raw commas before percent-decoding); empty pieces are skipped. At most {@value #MAX_GET_IDS} ids
 *       in all (414 above: send the lists in a POST body). Any other parameter: 400.</li>
 *   <li>POST {@code /recommend} {@code {"users": [...], "k": 10, "exclude"?: [...], "include"?: [...]}}: at
 *       least one and at most {@value #MAX_USERS} users (413 above), the lists of any length the body limit
 *       allows; any other field, or a value of the wrong type: 400.</li>
 * </ul>
 * Every id is a non-empty string of at most {@link io.relstream.schemas.Codecs#MAX_ID_BYTES} UTF-8 bytes
 * (400 otherwise). {@code include} present (even empty) means only those items are scored.
 *
 * @param users the users, in request order
 * @param k how many items per user, 1..{@value HttpApi#MAX_K}
 */
record RecommendQuery(List<String> users, int k, ModelStore.Filter filter) {
  static final int MAX_GET_IDS = 1000;
  static final int MAX_USERS = 1000;
  private static final Set<String> GET_PARAMS = Set.of("k", "exclude", "include");
  private static final Set<String> POST_FIELDS = Set.of("users", "k", "exclude", "include");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The query of GET /recommend/{user}. */
  static RecommendQuery ofGet(String user, ApiRequest r) throws ApiException {
    for (String name : r.query().keySet()) {
      if (!GET_PARAMS.contains(name)) {
        throw new ApiException(400, "unknown query parameter '" + truncate(name) + "' (known: k, exclude, include)");
      }
    }
    List<String> exclude = rawList(r.rawQuery(), "exclude");
    List<String> include = r.query().containsKey("include") ? rawList(r.rawQuery(), "include") : null;
    int ids = exclude.size() + (include == null ? 0 : include.size());
    if (ids > MAX_GET_IDS) {
      throw new ApiException(414, ids + " ids in the query, at most " + MAX_GET_IDS
          + " in a GET: send the lists in the body of POST /recommend");
    }
    return new RecommendQuery(List.of(user), HttpApi.parseK(r), new ModelStore.Filter(exclude, include));
  }

  /** The values of {@code name} in a raw query: split on raw commas, then each piece percent-decoded. */
  static List<String> rawList(String rawQuery, String name) throws ApiException {
    List<String> out = new ArrayList<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String n = Uris.percentDecode(eq < 0 ? pair : pair.substring(0, eq), true);
      if (!n.equals(name) || eq < 0) {
        continue;
      }
      for (String piece : pair.substring(eq + 1).split(",", -1)) {
        if (!piece.isEmpty()) {
          out.add(checkId(name, Uris.percentDecode(piece, true)));
        }
      }
    }
    return out;
  }

  /** The query of POST /recommend. */
  static RecommendQuery ofPost(ApiRequest r) throws ApiException {
    JsonNode body;
    try {
      body = JSON.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new ApiException(400, "the body is not JSON: " + truncate(e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
    }
    if (body == null || !body.isObject()) {
      throw new ApiException(400, "the body must be a JSON object {\"users\": [...], \"k\": 10, ...}");
    }
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!POST_FIELDS.contains(f)) {
        throw new ApiException(400, "unknown field '" + truncate(f) + "' (known: users, k, exclude, include)");
      }
    }
    JsonNode users = body.get("users");
    if (users == null || !users.isArray() || users.isEmpty()) {
      throw new ApiException(400, "\"users\" must be a non-empty array of user ids");
    }
    if (users.size() > MAX_USERS) {
      throw new ApiException(413, users.size() + " users in one request, at most " + MAX_USERS + ": split it");
    }
    int k = HttpApi.DEFAULT_K;
    JsonNode kn = body.get("k");
    if (kn != null) {
      if (!kn.isInt() || kn.asInt() < 1 || kn.asInt() > HttpApi.MAX_K) {
        throw new ApiException(400, "k must be an integer in 1.." + HttpApi.MAX_K);
      }
      k = kn.asInt();
    }
    JsonNode inc = body.get("include");
    return new RecommendQuery(ids(users, "users"), k, new ModelStore.Filter(
        body.has("exclude") ? ids(body.get("exclude"), "exclude") : List.of(),
        inc == null ? null : ids(inc, "include")));
  }

  private static List<String> ids(JsonNode array, String what) throws ApiException {
    if (!array.isArray()) {
      throw new ApiException(400, "\"" + what + "\" must be an array of ids");
    }
    List<String> out = new ArrayList<>(array.size());
    for (JsonNode n : array) {
      if (!n.isTextual()) {
        throw new ApiException(400, "\"" + what + "\" must hold strings only");
      }
      out.add(checkId(what, n.asText()));
    }
    return out;
  }

  private static String checkId(String what, String id) throws ApiException {
    if (id.isEmpty()) {
      throw new ApiException(400, "an id in " + what + " is empty");
    }
    if (id.getBytes(StandardCharsets.UTF_8).length > io.relstream.schemas.Codecs.MAX_ID_BYTES) {
      throw new ApiException(400, "an id in " + what + " is longer than "
          + io.relstream.schemas.Codecs.MAX_ID_BYTES + " bytes");
    }
    return id;
  }

  private static String truncate(String s) {
    return s == null ? "" : s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
