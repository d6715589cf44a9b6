package dev.omnibus.redis.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.StartPosition;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.UnblockType;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.lettuce.core.models.stream.PendingMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One subscription member: a consumer of a consumer group (the subscription's group, or a private one destroyed on
 * close), reading with {@code XREADGROUP} on a connection of its own. Receive runs on the library's receive thread;
 * ack, nack and extend are thread-safe and never block (acks gather into one {@code XACK}, see {@link PendingAcks};
 * touches go out at once on the shared connection).
 *
 * <p>Read-ahead: when a read returns a full batch (a backlog) of at least {@value #READ_AHEAD_MIN} entries and the
 * library asked for as many as it ever has (its in-flight limit is not what holds it back), the next
 * {@code XREADGROUP} (same {@code COUNT}, no {@code BLOCK}) is sent before this batch is decoded and handed over, so
 * the server's reply is on its way while the library dispatches; the next {@code receive} takes it. Entries it read
 * beyond what that {@code receive} may return are kept, in order, for the following calls. While read-ahead or kept
 * entries wait, their idle time is reset (as for held nacks) so no member's {@code XAUTOCLAIM} takes them. Until they
 * are handed over they count as delivered at the server: the group's lag is lower by at most one batch. A receiver
 * closed with a read-ahead or kept entries leaves them pending, as it does entries the library hands back: other
 * members take them over after the ack deadline.
 */
final class RedisReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(RedisReceiver.class);
    private static final String NOGROUP = "NOGROUP";
    private static final String BUSYGROUP = "BUSYGROUP";
    private static final String RESTART_ID = "0";
    /** Batches smaller than this are not read ahead: small in-flight limits mean slow handlers, not a backlog. */
    static final int READ_AHEAD_MIN = 32;
    private static final Duration RECEIVE_SLACK = Duration.ofSeconds(5);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    private final RedisBackend backend;
    private final String topic;
    private final byte[] key;
    /** {@code STREAMS <key> >}: entries never delivered to the group. */
    private final XReadArgs.StreamOffset<byte[]>[] stream;
    private final String groupName;
    private final byte[] group;
    private final boolean privateGroup;
    private final Consumer<byte[]> consumer;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final RedisCommands<byte[], byte[]> reads;
    /** The reading connection's async view: the receive thread's XACKs go ahead of its next read on it. */
    private final RedisAsyncCommands<byte[], byte[]> readsAsync;
    /** The last XACK sent on the reading connection: close waits for it before closing that connection. */
    private volatile RedisFuture<Long> lastReadAcks;
    private final Duration ackDeadline;
    private final long autoClaimPeriodNanos;
    private final long touchAfterNanos;
    private final PendingAcks acks;
    /** Nacked entries still pending for this consumer, until their redelivery is due. */
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledFuture<?> upkeep;
    private long nextAutoClaim = System.nanoTime();
    private String autoClaimCursor = "0-0";
    private Duration lastMaxWait;
    /** The COUNT of {@link #readAhead}, and when it was sent (its entries' idle time at the server starts then). */
    private int aheadCount;
    private volatile long aheadSentNanos;
    /** The largest {@code max} the library has asked for: a smaller one means its in-flight limit binds. */
    private int largestMax;
    /** The read the receive thread waits for now, for {@link #refused()} to cancel; {@code null} between reads. */
    private volatile RedisFuture<?> waitingFor;
    /**
     * The reading connection's {@code CLIENT ID}, asked just ahead of each blocking read on the same connection
     * (pipelined, so it costs no round trip of its own, and answered by the connection that then blocks: after a
     * reconnect Lettuce replays both in order), for {@link #wakeup()}'s {@code CLIENT UNBLOCK}; null before the first.
     */
    private volatile RedisFuture<Long> readerId;
    /** Close began ({@link #wakeup()}): no read blocks any more. */
    private volatile boolean woken;
    /** The server refused {@code CLIENT ID} or {@code CLIENT UNBLOCK} (an ACL without them): not asked again. */
    private volatile boolean unblockDenied;
    /** The read sent ahead after a full batch, not yet taken; receive thread only. */
    private volatile RedisFuture<List<StreamMessage<byte[], byte[]>>> readAhead;
    /** Entries read ahead beyond what a receive could return, oldest first; receive thread only. */
    private final ArrayDeque<ReceivedMessage> kept = new ArrayDeque<>();
    /** The kept entries' ids and when their idle time started or was last reset, for {@link #upkeep()}. */
    private final Map<String, Long> keptTouched = new ConcurrentHashMap<>();

    RedisReceiver(RedisBackend backend, ReceiverSpec spec, StatefulRedisConnection<byte[], byte[]> connection) {
        this.backend = backend;
        this.topic = spec.topic();
        this.key = RedisBackend.key(topic);
        this.stream = undelivered(key);
        this.privateGroup = spec.group() == null;
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        this.groupName = privateGroup ? "omnibus.private." + suffix : spec.group();
        this.group = RedisBackend.key(groupName);
        this.consumer = Consumer.from(group, RedisBackend.key("omnibus-" + ProcessHandle.current().pid() + "-" + suffix));
        this.connection = connection;
        this.reads = connection.sync();
        this.readsAsync = connection.async();
        this.ackDeadline = spec.ackDeadline();
        long deadline = ackDeadline.toNanos();
        this.autoClaimPeriodNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(20),
                Math.min(deadline / 4, TimeUnit.SECONDS.toNanos(1)));
        this.touchAfterNanos = deadline / 3;
        this.acks = new PendingAcks(backend, topic, key, group, closed);
        createGroup(startId(spec.startPosition()));
        this.upkeep = backend.context().scheduler().scheduleAtFixedRate(this::upkeep, autoClaimPeriodNanos,
                autoClaimPeriodNanos, TimeUnit.NANOSECONDS);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static XReadArgs.StreamOffset<byte[]>[] undelivered(byte[] key) {
        return new XReadArgs.StreamOffset[] {XReadArgs.StreamOffset.lastConsumed(key)};
    }

    /** The id XGROUP CREATE takes: the last entry considered already delivered. */
    private static String startId(StartPosition start) {
        switch (start.kind()) {
            case EARLIEST:
                return "0";
            case TIME:
                long ms = start.time().toEpochMilli();
                return ms <= 0 ? "0" : (ms - 1) + "-18446744073709551615";
            default:
                return "$";
        }
    }

    private void createGroup(String startId) {
        try {
            reads.xgroupCreate(XReadArgs.StreamOffset.from(key, startId), group, XGroupCreateArgs.Builder.mkstream());
        } catch (RedisCommandExecutionException e) {
            if (!String.valueOf(e.getMessage()).startsWith(BUSYGROUP)) {
                throw e;
            }
        }
    }

    @Override
    public List<ReceivedMessage> receive(int max, Duration maxWait) {
        if (closed.get()) {
            return List.of();
        }
        if (!connection.isOpen()) {
            OmnibusException refused = backend.refused();
            if (refused != null) {
                throw refused; // not retryable: the subscription ends instead of polling a server that says no
            }
            throw new OmnibusException(ErrorCode.UNAVAILABLE, RedisBackend.NAME + ": the connection reading '"
                    + topic + "' from " + backend.context().redactedUrl() + " is down; Lettuce is reconnecting", null,
                    true);
        }
        flushAcksOnReads();
        if (!maxWait.equals(lastMaxWait)) {
            lastMaxWait = maxWait;
            connection.setTimeout(maxWait.plus(RECEIVE_SLACK));
        }
        try {
            List<ReceivedMessage> out = takeKept(max);
            if (!out.isEmpty()) {
                return out;
            }
            out = claimDue(max);
            if (!out.isEmpty()) {
                return out;
            }
            long now = System.nanoTime();
            if (now - nextAutoClaim >= 0) {
                out = autoClaim(max);
                nextAutoClaim = autoClaimCursor.equals("0-0") ? now + autoClaimPeriodNanos : now;
                if (!out.isEmpty()) {
                    return out;
                }
            }
            largestMax = Math.max(largestMax, max);
            List<StreamMessage<byte[], byte[]>> read = null;
            int asked = max;
            long readAt = 0;
            if (readAhead != null) {
                RedisFuture<List<StreamMessage<byte[], byte[]>>> ahead = readAhead;
                readAhead = null;
                asked = aheadCount;
                readAt = aheadSentNanos;
                read = await(ahead, maxWait.plus(RECEIVE_SLACK));
            }
            if (read == null || read.isEmpty()) {
                asked = max;
                XReadArgs args = XReadArgs.Builder.count(max);
                if (maxWait.toMillis() > 0 && !woken) {
                    args.block(maxWait.toMillis());
                    if (!unblockDenied) {
                        RedisFuture<Long> id = readsAsync.clientId();
                        id.whenComplete((v, e) -> {
                            if (e != null) {
                                denyUnblock(e);
                            }
                        });
                        readerId = id;
                    }
                }
                read = await(readsAsync.xreadgroup(consumer, args, stream), maxWait.plus(RECEIVE_SLACK));
                readAt = System.nanoTime(); // a blocked read's entries were delivered when it returned
            }
            // read ahead only on a backlog and while the library takes full batches (its in-flight limit not binding)
            if (read != null && read.size() >= asked && max >= READ_AHEAD_MIN && max == largestMax && kept.isEmpty()
                    && !closed.get()) {
                aheadCount = max;
                aheadSentNanos = System.nanoTime();
                readAhead = readsAsync.xreadgroup(consumer, XReadArgs.Builder.count(max), stream);
            }
            List<ReceivedMessage> decoded = decodeFresh(read);
            if (!decoded.isEmpty() && System.nanoTime() - readAt >= touchAfterNanos / 2) {
                // read ahead a while ago: reset the entries' idle time, which started at the read, not now
                List<String> ids = new ArrayList<>(decoded.size());
                for (ReceivedMessage m : decoded) {
                    ids.add((String) m.handle());
                }
                touch(ids, Duration.ZERO);
                readAt = System.nanoTime();
            }
            return keepBeyond(decoded, max, readAt);
        } catch (RedisCommandExecutionException e) {
            if (String.valueOf(e.getMessage()).startsWith(NOGROUP)) {
                recreateLostGroup();
                return List.of();
            }
            throw backend.classify(e);
        } catch (RedisException | CancellationException e) {
            if (closed.get()) {
                return List.of();
            }
            OmnibusException refused = backend.refused();
            if (refused != null && !connection.isOpen()) {
                throw refused; // the read was cancelled by refused(), or failed while the server refuses us
            }
            throw backend.classify(e);
        }
    }

    /**
     * A read's result, waiting at most {@code timeout} (then it is cancelled, as Lettuce's synchronous API does);
     * {@link #refused()} can cancel it meanwhile.
     */
    private <T> T await(RedisFuture<T> read, Duration timeout) {
        waitingFor = read;
        try {
            return LettuceFutures.awaitOrCancel(read, timeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            waitingFor = null;
        }
    }

    /**
     * Close began: a blocked {@code XREADGROUP} is ended now with {@code CLIENT UNBLOCK <id> TIMEOUT}, sent on the
     * shared connection (this member's own one is busy with the read), so it returns empty as if its {@code BLOCK}
     * ran out: nothing is taken from the stream for it, and entries it already read come back as usual. Best effort,
     * never blocking: a user whose ACL lacks {@code CLIENT ID} or {@code CLIENT UNBLOCK} (or a read that blocks just
     * after the unblock arrived) waits out the read's {@code BLOCK} of at most the receive wait instead. Why not
     * cancel the read's future: Lettuce would drop the reply, but the server would still block the connection, and
     * entries the read took would sit unacknowledged in this member's pending list until another member claims them.
     */
    @Override
    public void wakeup() {
        woken = true;
        RedisFuture<?> read = waitingFor;
        RedisFuture<Long> id = readerId;
        if (read == null || read.isDone() || id == null || unblockDenied) {
            return;
        }
        id.thenAccept(clientId -> backend.async().clientUnblock(clientId, UnblockType.TIMEOUT)
                .whenComplete((unblocked, e) -> {
                    if (e != null) {
                        denyUnblock(e);
                    }
                }));
    }

    private void denyUnblock(Throwable e) {
        if (!unblockDenied && !closed.get() && String.valueOf(e.getMessage()).startsWith("NOPERM")) {
            unblockDenied = true;
            log.debug("{}: the server refused CLIENT ID or CLIENT UNBLOCK for the reader of '{}' ({}); closing an idle "
                    + "subscription waits out its blocking read", RedisBackend.NAME, topic, e.getMessage());
        }
    }

    /**
     * The server refuses this client's credentials at reconnect ({@link RedisBackend#refused()}): a read that
     * waits on this member's broken connection would only end at its timeout, so it is cancelled now and the
     * receive thread throws the refusal, which ends the subscription. Any thread.
     */
    void refused() {
        RedisFuture<?> read = waitingFor;
        if (read != null && !connection.isOpen()) {
            read.cancel(false); // done, so Lettuce does not send it again after a reconnect
        }
    }

    /**
     * A restarted server without persistence (or {@code XGROUP DESTROY}) lost the group: re-create it from the start
     * of what the stream holds now, preferring redelivery to loss, and say so.
     */
    private void recreateLostGroup() {
        log.warn("{}: consumer group '{}' of stream '{}' on {} is gone (a server restart without persistence, or "
                + "XGROUP DESTROY); re-creating it from the start of the stream: entries the server lost are lost, "
                + "entries still in the stream are delivered again", RedisBackend.NAME, groupName, topic,
                backend.context().redactedUrl());
        createGroup(RESTART_ID);
    }

    /** Up to {@code max} kept entries, oldest first. */
    private List<ReceivedMessage> takeKept(int max) {
        if (kept.isEmpty()) {
            return List.of();
        }
        List<ReceivedMessage> out = new ArrayList<>(Math.min(max, kept.size()));
        while (out.size() < max && !kept.isEmpty()) {
            ReceivedMessage m = kept.poll();
            keptTouched.remove((String) m.handle());
            out.add(m);
        }
        return out;
    }

    /** The first {@code max} of {@code decoded}; the rest are kept for the next receives. */
    private List<ReceivedMessage> keepBeyond(List<ReceivedMessage> decoded, int max, long readAt) {
        if (decoded.size() <= max) {
            return decoded;
        }
        for (ReceivedMessage m : decoded.subList(max, decoded.size())) {
            kept.add(m);
            keptTouched.put((String) m.handle(), readAt);
        }
        return new ArrayList<>(decoded.subList(0, max));
    }

    private List<ReceivedMessage> decodeFresh(List<StreamMessage<byte[], byte[]>> read) {
        if (read == null || read.isEmpty()) {
            return List.of();
        }
        List<ReceivedMessage> out = new ArrayList<>(read.size());
        for (StreamMessage<byte[], byte[]> m : read) {
            if (m.getBody() != null) {
                out.add(backend.binding().decode(topic, m.getId(), m.getBody(), 1, m.getId()));
            }
        }
        return out;
    }

    /** Takes back nacked entries whose delay is over ({@code XCLAIM}, which counts the delivery). */
    private List<ReceivedMessage> claimDue(int max) {
        if (held.isEmpty()) {
            return List.of();
        }
        long now = System.nanoTime();
        List<String> due = new ArrayList<>();
        for (Map.Entry<String, Held> e : held.entrySet()) {
            if (now - e.getValue().dueNanos >= 0) {
                due.add(e.getKey());
                if (due.size() == max) {
                    break;
                }
            }
        }
        if (due.isEmpty()) {
            return List.of();
        }
        due.forEach(held::remove);
        return withDeliveryCounts(reads.xclaim(key, consumer, XClaimArgs.Builder.minIdleTime(0),
                due.toArray(new String[0])));
    }

    /** Takes over entries idle for longer than the ack deadline, from any member ({@code XAUTOCLAIM}). */
    private List<ReceivedMessage> autoClaim(int max) {
        ClaimedMessages<byte[], byte[]> claimed = reads.xautoclaim(key,
                XAutoClaimArgs.Builder.xautoclaim(consumer, ackDeadline, autoClaimCursor).count(max));
        autoClaimCursor = claimed.getId() == null ? "0-0" : claimed.getId();
        for (StreamMessage<byte[], byte[]> m : claimed.getMessages()) {
            held.remove(m.getId());
        }
        return withDeliveryCounts(claimed.getMessages());
    }

    /** Decodes claimed entries with the delivery count the server keeps for each (one pipelined XPENDING each). */
    private List<ReceivedMessage> withDeliveryCounts(List<StreamMessage<byte[], byte[]>> claimed) {
        List<StreamMessage<byte[], byte[]>> live = new ArrayList<>(claimed.size());
        for (StreamMessage<byte[], byte[]> m : claimed) {
            if (m != null && m.getBody() != null) {
                live.add(m);
            }
        }
        if (live.isEmpty()) {
            return List.of();
        }
        RedisAsyncCommands<byte[], byte[]> pipelined = connection.async();
        List<RedisFuture<List<PendingMessage>>> counts = new ArrayList<>(live.size());
        for (StreamMessage<byte[], byte[]> m : live) {
            counts.add(pipelined.xpending(key, consumer, Range.create(m.getId(), m.getId()), Limit.from(1)));
        }
        LettuceFutures.awaitAll(connection.getTimeout(), counts.toArray(new RedisFuture<?>[0]));
        List<ReceivedMessage> out = new ArrayList<>(live.size());
        for (int i = 0; i < live.size(); i++) {
            StreamMessage<byte[], byte[]> m = live.get(i);
            List<PendingMessage> pending = counts.get(i).toCompletableFuture().join();
            if (pending.isEmpty()) {
                continue;
            }
            int count = (int) Math.min(Integer.MAX_VALUE, pending.get(0).getRedeliveryCount());
            out.add(backend.binding().decode(topic, m.getId(), m.getBody(), count, m.getId()));
        }
        return out;
    }

    @Override
    public void ack(ReceivedMessage message) {
        acks.add((String) message.handle());
    }

    /**
     * The library's acks of (part of) one inline batch: queued to go as one XACK on the reading connection just
     * ahead of the next read, as a raw consumer sends its acks, or within {@link PendingAcks#LINGER} if a slow handler
     * keeps the receive thread from reading. Why not at once: the library sends a batch's acks in parts
     * (every 128), so a read of 256 entries cost the server two XACKs where a raw consumer sends one (6 % more of
     * its time in the benchmark's consume); the parts now meet in one.
     */
    @Override
    public void ackAll(List<ReceivedMessage> messages) {
        List<String> ids = new ArrayList<>(messages.size());
        for (ReceivedMessage m : messages) {
            ids.add((String) m.handle());
        }
        acks.addAllBeforeRead(ids);
    }

    /** Sends the queued acks on the reading connection (receive thread only); close waits for the last such XACK. */
    private void flushAcksOnReads() {
        RedisFuture<Long> sent = acks.flush(readsAsync);
        if (sent != null) {
            lastReadAcks = sent;
        }
    }

    @Override
    public void nack(ReceivedMessage message, Duration delay) {
        String id = (String) message.handle();
        long now = System.nanoTime();
        held.put(id, new Held(now + delay.toNanos(), now));
        if (!delay.isZero()) {
            touch(List.of(id), Duration.ZERO);
        }
    }

    @Override
    public void extend(List<ReceivedMessage> messages) {
        List<String> ids = new ArrayList<>(messages.size());
        for (ReceivedMessage m : messages) {
            ids.add((String) m.handle());
        }
        touch(ids, ackDeadline.dividedBy(4));
    }

    /**
     * Resets the idle time of entries this member holds ({@code XCLAIM ... JUSTID}, which does not count a
     * delivery), so that no member's {@code XAUTOCLAIM} takes them. {@code minIdle} skips an entry another member
     * has just taken over.
     */
    private void touch(List<String> ids, Duration minIdle) {
        if (ids.isEmpty() || closed.get()) {
            return;
        }
        backend.async().xclaim(key, consumer, XClaimArgs.Builder.minIdleTime(minIdle).justid(),
                ids.toArray(new String[0])).whenComplete((claimed, error) -> {
                    if (error != null) {
                        log.debug("{}: keeping {} entries of '{}' failed: {}", RedisBackend.NAME, ids.size(), topic,
                                error.toString());
                    }
                });
    }

    /** Library-scheduler tick: sends acks a busy or idle receive loop has not, and keeps delayed nacks held. */
    private void upkeep() {
        try {
            acks.flush(backend.async());
            long now = System.nanoTime();
            List<String> stale = new ArrayList<>();
            for (Map.Entry<String, Held> e : held.entrySet()) {
                Held h = e.getValue();
                if (now - h.touchedNanos >= touchAfterNanos && h.dueNanos - now > 0) {
                    h.touchedNanos = now;
                    stale.add(e.getKey());
                }
            }
            RedisFuture<List<StreamMessage<byte[], byte[]>>> ahead = readAhead;
            long aheadAt = aheadSentNanos;
            if (ahead != null && ahead.isDone() && !ahead.toCompletableFuture().isCompletedExceptionally()
                    && now - aheadAt >= touchAfterNanos) {
                // a read-ahead the receive loop has not taken (the library's in-flight limit is full): keep its
                // entries from XAUTOCLAIM as kept ones are; the receive thread touches them again if it takes them late
                aheadSentNanos = now;
                for (StreamMessage<byte[], byte[]> m : ahead.toCompletableFuture().join()) {
                    stale.add(m.getId());
                }
            }
            for (Map.Entry<String, Long> e : keptTouched.entrySet()) {
                if (now - e.getValue() >= touchAfterNanos) {
                    e.setValue(now);
                    stale.add(e.getKey());
                }
            }
            touch(stale, Duration.ZERO);
        } catch (RuntimeException e) {
            log.debug("{}: upkeep of '{}' failed", RedisBackend.NAME, topic, e);
        }
    }

    /**
     * The group's {@code lag} from {@code XINFO GROUPS} (Redis 7.0+): entries not yet delivered to the group. Asked on
     * the shared connection, waiting at most a second; -1 when Redis cannot tell (older servers, or after entries
     * were deleted), or the call fails.
     */
    @Override
    public long lag() {
        if (closed.get()) {
            return -1;
        }
        try {
            List<Object> groups = backend.async().xinfoGroups(key).get(1, TimeUnit.SECONDS);
            for (Object g : groups) {
                if (g instanceof List<?> fields && groupName.equals(field(fields, "name"))) {
                    Object lag = field(fields, "lag");
                    return lag instanceof Long l ? l : -1;
                }
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("{}: XINFO GROUPS for '{}' failed", RedisBackend.NAME, topic, e);
        }
        return -1;
    }

    /** The value after {@code name} in an XINFO reply's flat field list (names as bytes or strings). */
    private static Object field(List<?> fields, String name) {
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            Object k = fields.get(i);
            String s = k instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(k);
            if (s.equals(name)) {
                Object v = fields.get(i + 1);
                return v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : v;
            }
        }
        return null;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        upkeep.cancel(false);
        RedisFuture<Long> readAcks = lastReadAcks;
        if (readAcks != null) {
            try {
                // sent ahead of any later read on that connection, so answered before a blocked read returns
                LettuceFutures.awaitAll(CLOSE_WAIT, readAcks);
            } catch (RuntimeException e) {
                log.debug("{}: the last XACK on the reading connection of '{}' failed", RedisBackend.NAME, topic, e);
            }
        }
        connection.closeAsync();
        try {
            RedisFuture<Long> lastAcks = acks.flush(backend.async());
            if (lastAcks != null) {
                LettuceFutures.awaitAll(CLOSE_WAIT, lastAcks);
            }
            if (privateGroup) {
                LettuceFutures.awaitAll(CLOSE_WAIT, backend.async().xgroupDestroy(key, group));
            } else {
                leaveGroup();
            }
        } catch (RuntimeException e) {
            log.debug("{}: cleaning up after '{}' failed", RedisBackend.NAME, topic, e);
        } finally {
            backend.forget(this);
        }
    }

    /** Deletes this member's consumer when it holds no pending entry (deleting it would drop them from the PEL). */
    private void leaveGroup() {
        RedisFuture<List<PendingMessage>> mine = backend.async().xpending(key, consumer, Range.unbounded(),
                Limit.from(1));
        if (LettuceFutures.awaitAll(CLOSE_WAIT, mine) && mine.toCompletableFuture().join().isEmpty()) {
            LettuceFutures.awaitAll(CLOSE_WAIT, backend.async().xgroupDelconsumer(key, consumer));
        }
    }

    @Override
    public String toString() {
        return "RedisReceiver{" + topic + ", group=" + groupName + "}";
    }

    /** A nacked entry: when it is due again and when it was last kept from other members. */
    private static final class Held {
        final long dueNanos;
        volatile long touchedNanos;

        Held(long dueNanos, long touchedNanos) {
            this.dueNanos = dueNanos;
            this.touchedNanos = touchedNanos;
        }
    }
}
