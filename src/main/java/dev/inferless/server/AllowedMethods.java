package dev.inferless.server;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The methods each route answers, so that a known path asked with another method gets 405 and an
 * {@code Allow} header rather than 404. Paths use Javalin's {@code {param}} segments.
 */
final class AllowedMethods {

    private record Route(String method, Pattern path) {}

    private final List<Route> routes = new ArrayList<>();

    void add(String method, String path) {
        routes.add(new Route(method, Pattern.compile(Pattern.quote(path).replaceAll("\\{[^}/]+}", "\\\\E[^/]+\\\\Q"))));
    }

    /** The methods that answer this path, in declaration order; empty when no route matches it. */
    Set<String> of(String path) {
        Set<String> methods = new LinkedHashSet<>();
        for (Route r : routes) {
            if (r.path().matcher(path).matches()) {
                methods.add(r.method());
            }
        }
        return methods;
    }
}
