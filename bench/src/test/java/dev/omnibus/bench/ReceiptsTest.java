package dev.omnibus.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReceiptsTest {
    @Test
    void returnsOnceEveryReceiptArrivedFromAnyThread() throws Exception {
        Receipts receipts = new Receipts().expect(3);
        CompletableFuture<String> later = new CompletableFuture<>();
        CompletableFuture.completedFuture("a").whenComplete(receipts);
        CompletableFuture.supplyAsync(() -> "b").whenComplete(receipts);
        later.whenComplete(receipts);
        assertThatThrownBy(() -> receipts.await(Duration.ofMillis(50))).hasMessageContaining("1 receipts missing");
        later.complete("c");
        assertThatCode(() -> receipts.await(Duration.ofSeconds(5))).doesNotThrowAnyException();
    }

    @Test
    void aFailedPublishFailsTheWaitAndTheNextBatchStartsClean() throws Exception {
        Receipts receipts = new Receipts().expect(2);
        CompletableFuture.completedFuture("a").whenComplete(receipts);
        CompletableFuture.failedFuture(new IllegalStateException("refused")).whenComplete(receipts);
        assertThatThrownBy(() -> receipts.await(Duration.ofSeconds(5))).hasMessage("a publish failed")
                .hasRootCauseMessage("refused");
        receipts.expect(1);
        CompletableFuture.completedFuture("b").whenComplete(receipts);
        assertThatCode(() -> receipts.await(Duration.ofSeconds(5))).doesNotThrowAnyException();
    }
}
