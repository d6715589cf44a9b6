package dev.omnibus.cli;

import dev.omnibus.Config;
import dev.omnibus.Omnibus;
import dev.omnibus.internal.Redaction;
import dev.omnibus.tck.ConformanceMatrix;
import dev.omnibus.tck.RuleCatalogue;
import dev.omnibus.tck.TckReport;
import dev.omnibus.tck.TckReporter;
import dev.omnibus.tck.UrlHarness;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * {@code omnibus tck}: runs the compatibility kit against a broker this command did not start, with a progress line
 * per rule, then prints the conformance matrix and writes {@code report.json} and {@code report.md} (or, for some rules
 * only, {@code report-partial.json} and {@code report-partial.md}); not thread-safe
 * (one instance per command line). The kit runs on the JUnit Platform, on the calling thread, exactly as in the build
 * (the same {@code OmnibusTck} class, rules and reporter), with a {@link UrlHarness}: rules that need the broker in
 * hand (restart, connection cuts, foreign messages) are skipped with that reason.
 *
 * <p>Exit codes: 0 when no rule failed, 1 when a rule failed or the kit could not run, 2 bad input.
 */
@Command(name = "tck",
        description = {"Runs the Omnibus compatibility kit (rules " + RuleCatalogue.FIRST + "-" + RuleCatalogue.LAST + ") against a running broker: a progress line "
                + "per rule, the conformance matrix, report.json and report.md (report-partial.* with --rules).",
                "Rules needing a broker the kit started (R17, R18, R23 restart and cut it; parts of R15 and R22 "
                        + "inject foreign messages) are skipped with that reason. Topics are named tck.<rule>.<random>"
                        + " and left on the broker."},
        footer = {"%nExample:%n  omnibus tck --url jetstream://127.0.0.1:4222 --rules R01,R07 --report out/tck",
                "%nExit codes: 0 no rule failed, 1 a rule failed or the kit could not run, 2 bad input."})
final class TckCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @ParentCommand
    private Main main;

    @Option(names = "--url", paramLabel = "URL",
            description = "Broker URL, with any options in its query; its scheme picks the backend (default: "
                    + "$OMNIBUS_URL, else " + BusCommand.DEFAULT_URL + ").")
    private String url;

    @Option(names = "--rules", split = ",", paramLabel = "RULE",
            description = "Only these rules, e.g. R01,R07 (default: all of " + RuleCatalogue.FIRST + "-" + RuleCatalogue.LAST + ").")
    private List<String> rules = new ArrayList<>();

    @Option(names = "--report", paramLabel = "DIR", defaultValue = "omnibus-tck",
            description = "Directory for report.json and report.md, or report-partial.json and report-partial.md when "
                    + "--rules picks some rules (default: ${DEFAULT-VALUE}).")
    private Path report;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "15s",
            description = "How long the kit waits for each expected delivery (default: ${DEFAULT-VALUE}).")
    private Duration timeout;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors, and the library's log "
            + "(warnings the kit provokes on purpose) on stderr.")
    private boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!verbose) {
            // the kit provokes errors on purpose (handlers that throw, full dead-letter topics), which the library
            // logs as warnings with stack traces; the verdicts are in the progress lines and the report. This is
            // the command's own JVM, and slf4j-simple reads the setting when the first logger is made
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "off");
        }
        TreeSet<String> selected = selectedRules();
        String target = url != null ? url : main.environment().getOrDefault("OMNIBUS_URL", BusCommand.DEFAULT_URL);
        UrlHarness harness;
        try {
            harness = new UrlHarness(target, timeout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--url: " + e.getMessage());
        }
        // connects once first, as the kit will (no OMNIBUS_* options: the URL says everything), so that an unknown
        // scheme or a bad option is bad input (exit 2) and an unreachable broker one error line, not 24 failed rules
        Omnibus.connect(Config.builder().url(target).useEnvironment(false).build()).close();
        PrintWriter out = spec.commandLine().getOut();
        Scrubber scrubber = Scrubber.of(spec.commandLine().getParseResult().originalArgs(), main.environment());
        out.println("omnibus tck: " + harness.backendName() + " at " + Redaction.url(target) + ", "
                + (selected.isEmpty() ? "all rules" : "rules " + String.join(",", selected)));
        out.flush();

        TckProgress progress = new TckProgress(out, scrubber::scrub);
        LauncherFactory.create().execute(request(target, selected), progress);

        // the kit names a run of some rules report-partial.json, so it never overwrites a whole run's report
        String name = TckReporter.reportName(!selected.isEmpty() && !selected.equals(RuleCatalogue.RULES.keySet()));
        Path json = report.resolve(name + ".json");
        TckReport result = TckReport.read(json);
        out.println();
        out.print(scrubber.scrub(ConformanceMatrix.render(List.of(result))));
        out.println();
        long passed = result.rules().stream().filter(r -> r.status().equals("PASSED")).count();
        long failed = result.rules().stream().filter(r -> r.status().equals("FAILED")).count();
        long skipped = result.rules().size() - passed - failed;
        out.println("rules: " + passed + " passed, " + failed + " failed, " + skipped + " skipped; report: " + json
                + ", " + report.resolve(name + ".md"));
        out.flush();
        if (progress.kitFailure().isPresent()) {
            Throwable e = progress.kitFailure().get();
            spec.commandLine().getErr().println(scrubber.scrub(Main.ERROR_PREFIX + "the kit could not run: "
                    + Redaction.printable(String.valueOf(e.getMessage()), 1000)));
            if (verbose) {
                e.printStackTrace(spec.commandLine().getErr());
            }
            return 1;
        }
        return failed > 0 || progress.failedRules() > 0 ? 1 : 0;
    }

    /** {@code --rules} as rule ids, upper-cased; bad input unless each is one of the catalogue's. */
    private TreeSet<String> selectedRules() {
        TreeSet<String> selected = new TreeSet<>();
        for (String raw : rules) {
            String id = raw.strip().toUpperCase(Locale.ROOT);
            if (!RuleCatalogue.RULES.containsKey(id)) {
                throw new ParameterException(spec.commandLine(), "--rules: unknown rule '"
                        + Redaction.printable(raw, 40) + "'; the rules are " + RuleCatalogue.FIRST + " to " + RuleCatalogue.LAST + " (e.g. --rules R01,R07)");
            }
            selected.add(id);
        }
        return selected;
    }

    private LauncherDiscoveryRequest request(String target, TreeSet<String> selected) {
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(UrlTck.class))
                .configurationParameters(Map.of(UrlTck.URL, target,
                        UrlTck.TIMEOUT, String.valueOf(timeout.toMillis()),
                        TckReporter.REPORT_DIR_PROPERTY, report.toString(),
                        // the progress lines in rule order (JUnit's default order of nested classes is arbitrary);
                        // the order of the tests within a rule stays JUnit's, as in the build
                        "junit.jupiter.testclass.order.default", ClassOrderer.ClassName.class.getName()))
                // the kit's settings come from here alone, as in the build: a junit-platform.properties on the
                // class path or a system property of the caller's JVM must not change how the rules run
                .enableImplicitConfigurationParameters(false);
        if (!selected.isEmpty()) {
            // the build's way to run some rules (-Dgroups=R07): every kit test is tagged with its rule id
            request.filters(TagFilter.includeTags(List.copyOf(selected)));
        }
        return request.build();
    }
}
