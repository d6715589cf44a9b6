package dev.omnibus.tck;

import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.platform.commons.support.AnnotationSupport;

import java.lang.reflect.Method;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Display names of the kit: a rule's nested class shows its id and its title from {@link RuleCatalogue} ("R08
 * delayed nack waits its delay"), found through the rule's tag; a test shows its method name, which carries the
 * rule id ({@code R08_otherEventsFlowDuringTheDelay()}), without the {@link Kit} parameter. Other classes are named
 * as JUnit's standard generator names them. Stateless.
 */
final class RuleDisplayNames extends DisplayNameGenerator.Standard {
    @Override
    public String generateDisplayNameForNestedClass(List<Class<?>> enclosingInstanceTypes, Class<?> nestedClass) {
        List<String> tags = AnnotationSupport.findRepeatableAnnotations(nestedClass, Tag.class).stream()
                .map(Tag::value).filter(RuleCatalogue.RULES::containsKey).collect(Collectors.toList());
        if (tags.isEmpty()) {
            return super.generateDisplayNameForNestedClass(enclosingInstanceTypes, nestedClass);
        }
        String rule = RuleCatalogue.ruleAmong(tags);
        return rule + " " + RuleCatalogue.RULES.get(rule);
    }

    @Override
    public String generateDisplayNameForMethod(List<Class<?>> enclosingInstanceTypes, Class<?> testClass,
            Method testMethod) {
        if (testMethod.getParameterCount() == 1 && testMethod.getParameterTypes()[0] == Kit.class) {
            return testMethod.getName() + "()";
        }
        return super.generateDisplayNameForMethod(enclosingInstanceTypes, testClass, testMethod);
    }
}
