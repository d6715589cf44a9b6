package dev.omnibus.memory.internal;

import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** One member of a {@link Channel}; messages carry their delivery tag as handle. */
final class MemoryReceiver implements Receiver {
    private final Channel channel;
    private final Object member = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();

    MemoryReceiver(Channel channel) {
        this.channel = channel;
    }

    @Override
    public List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
        if (closed.get()) {
            return List.of();
        }
        return channel.receive(member, max, maxWait.toNanos());
    }

    @Override
    public void wakeup() {
        channel.wakeup(member);
    }

    @Override
    public void ack(ReceivedMessage message) {
        channel.ack((Long) message.handle());
    }

    @Override
    public void ackAll(List<ReceivedMessage> messages) {
        channel.ackAll(messages);
    }

    @Override
    public void nack(ReceivedMessage message, Duration delay) {
        channel.nack((Long) message.handle(), delay.toNanos());
    }

    @Override
    public void extend(List<ReceivedMessage> messages) {
        List<Long> tags = new ArrayList<>(messages.size());
        for (ReceivedMessage m : messages) {
            tags.add((Long) m.handle());
        }
        channel.extend(tags);
    }

    @Override
    public long lag() {
        return channel.lag();
    }

    @Override
    public long dropped() {
        return channel.dropped();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && channel.leave(member)) {
            channel.broker().remove(channel);
        }
    }
}
