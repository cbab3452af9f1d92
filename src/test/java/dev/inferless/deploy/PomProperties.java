package dev.inferless.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The {@code <properties>} of pom.xml, so deployment files can be checked against the versions built. */
final class PomProperties {
    private PomProperties() {}

    static Map<String, String> read(Path pom) throws IOException {
        try (InputStream in = Files.newInputStream(pom)) {
            Element properties = (Element) DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in)
                    .getElementsByTagName("properties").item(0);
            Map<String, String> out = new HashMap<>();
            NodeList children = properties.getChildNodes();
            for (int i = 0; i < children.getLength(); i++) {
                Node child = children.item(i);
                if (child.getNodeType() == Node.ELEMENT_NODE) {
                    out.put(child.getNodeName(), child.getTextContent().trim());
                }
            }
            return out;
        } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
            throw new IOException(pom + ": " + e.getMessage(), e);
        }
    }
}
