package dev.omnibus.samples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The sample application: {@code mvn -f samples/spring-boot spring-boot:run}. */
@SpringBootApplication
@EnableScheduling
public class SampleApplication {
    /** Starts the application. */
    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }
}
