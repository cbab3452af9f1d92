package dev.inferless.repo;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Enumeration;

/**
 * Loads a model repo's classes (its lib/ jars and compiled app/ sources) on top of the runtime's
 * classpath. The InferlessModel service file is looked up in the repo only, so implementations
 * elsewhere on the classpath never count as the repo's.
 */
final class RepoClassLoader extends URLClassLoader {

    static final String SERVICE_FILE = "META-INF/services/" + dev.inferless.api.InferlessModel.class.getName();

    static {
        registerAsParallelCapable();
    }

    RepoClassLoader(URL[] urls, ClassLoader parent) {
        super("model-repo", urls, parent);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return SERVICE_FILE.equals(name) ? findResources(name) : super.getResources(name);
    }
}
