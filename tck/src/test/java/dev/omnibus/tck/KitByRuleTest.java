package dev.omnibus.tck;

import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kit's shape, without a broker: one nested class of {@link OmnibusTck} per rule of the catalogue, each tagged
 * with its rule, its tests named after it and out of a backend's reach; every rule with a title and a check.
 */
class KitByRuleTest {
    private static List<String> ruleTags(Class<?> type) {
        return AnnotationSupport.findRepeatableAnnotations(type, Tag.class).stream().map(Tag::value)
                .filter(RuleCatalogue.RULES::containsKey).collect(Collectors.toList());
    }

    private static Map<String, Class<?>> rulesOfTheKit() {
        Map<String, Class<?>> rules = new TreeMap<>();
        for (Class<?> nested : OmnibusTck.class.getDeclaredClasses()) {
            if (nested.isAnnotationPresent(Nested.class)) {
                assertThat(ruleTags(nested)).as("rule tags of %s", nested.getSimpleName()).hasSize(1);
                String rule = ruleTags(nested).get(0);
                assertThat(rules.put(rule, nested)).as("a second nested class for %s", rule).isNull();
            }
        }
        return rules;
    }

    @Test
    void everyRuleOfTheCatalogueHasATitleACheckAndOneNestedClass() {
        assertThat(rulesOfTheKit().keySet()).containsExactlyElementsOf(RuleCatalogue.RULES.keySet());
        assertThat(RuleCatalogue.CHECKS.keySet()).containsExactlyElementsOf(RuleCatalogue.RULES.keySet());
        RuleCatalogue.RULES.forEach((id, title) -> assertThat(title).as("title of %s", id).isNotBlank());
        RuleCatalogue.CHECKS.forEach((id, check) -> assertThat(check).as("check of %s", id).isNotBlank());
    }

    @Test
    void eachRuleTestIsNamedAfterItsRuleTakesTheKitAndIsOutOfABackendsReach() {
        rulesOfTheKit().forEach((rule, nested) -> {
            assertThat(Modifier.isPublic(nested.getModifiers()) || Modifier.isProtected(nested.getModifiers()))
                    .as("%s visible to a backend's package", nested.getSimpleName()).isFalse();
            List<Method> tests = AnnotationSupport.findAnnotatedMethods(nested, Test.class,
                    HierarchyTraversalMode.TOP_DOWN);
            assertThat(tests).as("tests of %s", rule).isNotEmpty();
            for (Method test : tests) {
                assertThat(test.getName()).as("test of %s", rule).startsWith(rule + "_");
                assertThat(test.getParameterTypes()).as("parameters of %s", test.getName()).containsExactly(Kit.class);
                assertThat(Modifier.isPublic(test.getDeclaringClass().getModifiers()))
                        .as("%s declared in a public type", test.getName()).isFalse();
            }
        });
    }

    @Test
    void aRuleIsShownWithItsCatalogueTitleAndATestWithItsName() throws Exception {
        DisplayNameGenerator names = new RuleDisplayNames();
        Class<?> r08 = rulesOfTheKit().get("R08");
        assertThat(names.generateDisplayNameForNestedClass(List.of(OmnibusTck.class), r08))
                .isEqualTo("R08 " + RuleCatalogue.RULES.get("R08"));
        Method test = R08DelayedNack.class.getMethod("R08_otherEventsFlowDuringTheDelay", Kit.class);
        assertThat(names.generateDisplayNameForMethod(List.of(OmnibusTck.class), r08, test))
                .isEqualTo("R08_otherEventsFlowDuringTheDelay()");
    }

    @Test
    void aTestTaggedWithNoRuleOrTwoIsRefused() {
        assertThat(RuleCatalogue.ruleAmong(List.of("slow", "R08"))).isEqualTo("R08");
        assertThatThrownBy(() -> RuleCatalogue.ruleAmong(List.of("slow")))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> RuleCatalogue.ruleAmong(List.of("R07", "R08")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("R07").hasMessageContaining("R08");
    }
}
