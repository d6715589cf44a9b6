package dev.omnibus.tck.selftest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * omnibus-bom lists exactly the published modules: every module of the build that does not set
 * {@code omnibus.publish.skip} to true, each once, at {@code ${project.version}}, and the BOM's version is the build's.
 */
class BomTest {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
    private static final Pattern ARTIFACT = Pattern.compile("</parent>\\s*<artifactId>([^<]+)</artifactId>");
    private static final Pattern MANAGED = Pattern.compile(
            "<groupId>dev\\.omnibus</groupId><artifactId>([^<]+)</artifactId><version>([^<]+)</version>");
    private static final Pattern VERSION = Pattern.compile("<artifactId>omnibus-(?:parent|bom)</artifactId>\\s*"
            + "<version>([^<]+)</version>");

    @Test
    void listsExactlyThePublishedModulesAtTheBuildsVersion() throws IOException {
        String parent = read(ROOT.resolve("pom.xml"));
        List<String> published = new ArrayList<>();
        Matcher modules = MODULE.matcher(parent);
        while (modules.find()) {
            String pom = read(ROOT.resolve(modules.group(1)).resolve("pom.xml"));
            Matcher artifact = ARTIFACT.matcher(pom);
            if (!artifact.find()) {
                continue; // the bom and the backend parent, which have no parent and are not libraries
            }
            if (!pom.contains("<omnibus.publish.skip>true</omnibus.publish.skip>")) {
                published.add(artifact.group(1));
            }
        }
        String bom = read(ROOT.resolve("bom/pom.xml"));
        List<String> listed = new ArrayList<>();
        Matcher managed = MANAGED.matcher(bom);
        while (managed.find()) {
            assertThat(managed.group(2)).as(managed.group(1) + "'s version in the BOM").isEqualTo("${project.version}");
            listed.add(managed.group(1));
        }
        assertThat(listed).as("the BOM's modules").doesNotHaveDuplicates();
        assertThat(new TreeSet<>(listed)).as("the BOM's modules, against the published modules of the build")
                .isEqualTo(new TreeSet<>(published));
        assertThat(version(bom)).as("the BOM's version").isEqualTo(version(parent));
    }

    /**
     * The parent POM for backends built outside this repository imports the BOM at a literal version (a property
     * holding {@code ${project.version}} would take the child's version): it must be the build's.
     */
    @Test
    void backendParentImportsTheBomAtTheBuildsVersion() throws IOException {
        String parent = read(ROOT.resolve("pom.xml"));
        assertThat(parent).as("the root pom's modules").contains("<module>tck/backend-parent</module>");
        String backendParent = read(ROOT.resolve("tck/backend-parent/pom.xml"));
        Matcher own = Pattern.compile("<artifactId>omnibus-backend-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(backendParent);
        assertThat(own.find()).as("omnibus-backend-parent's version").isTrue();
        assertThat(own.group(1)).as("omnibus-backend-parent's version").isEqualTo(version(parent));
        assertThat(backendParent).as("omnibus-backend-parent's omnibus.version, which its BOM import uses")
                .contains("<omnibus.version>" + version(parent) + "</omnibus.version>")
                .contains("<artifactId>omnibus-bom</artifactId>\n        <version>${omnibus.version}</version>");
        Matcher cloudEvents = Pattern.compile("<cloudevents\\.version>([^<]+)</cloudevents\\.version>").matcher(parent);
        assertThat(cloudEvents.find()).as("the build's CloudEvents version").isTrue();
        assertThat(backendParent).as("omnibus-backend-parent's CloudEvents version, which its cloudevents-bom uses")
                .contains("<cloudevents.version>" + cloudEvents.group(1) + "</cloudevents.version>");
    }

    private static String version(String pom) {
        Matcher m = VERSION.matcher(pom);
        assertThat(m.find()).as("a version in " + pom.substring(0, Math.min(80, pom.length()))).isTrue();
        return m.group(1);
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
