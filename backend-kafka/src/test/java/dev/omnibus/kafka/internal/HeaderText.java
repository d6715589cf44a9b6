package dev.omnibus.kafka.internal;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The headers of a record as text, for the tests comparing this backend's records with the SDK binding's. */
final class HeaderText {
    private HeaderText() {
    }

    /** A record's headers as {@code name=[bytes]}, in order, for comparing records header for header. */
    static List<String> headerBytes(ProducerRecord<String, byte[]> record) {
        List<String> out = new ArrayList<>();
        for (Header h : record.headers()) {
            out.add(h.key() + "=" + Arrays.toString(h.value()));
        }
        return out;
    }
}
