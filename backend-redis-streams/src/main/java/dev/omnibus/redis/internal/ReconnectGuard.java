package dev.omnibus.redis.internal;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandHandler;
import io.lettuce.core.protocol.CommandType;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Makes Lettuce's replay after a reconnect complete and in order, and reach a server that executes it. One per
 * channel, placed just before Lettuce's {@link CommandHandler} (by {@link #install}); every method runs on the
 * channel's event loop. Lettuce (with auto-reconnect) keeps the commands of a broken connection — those written and
 * unanswered, and those not yet written — and sends them again, in order, once it has reconnected; three of its
 * behaviours break that, and this handler stops each.
 *
 * <p><b>Activation waits until the server has loaded its data.</b> A restarted Redis accepts connections and
 * {@code HELLO} (Lettuce's whole handshake) while it still loads its append-only file, and answers every other command
 * {@code LOADING}. Lettuce would activate the connection at once and replay what it kept into those refusals: the
 * {@code XADD}s and {@code XACK}s fail (Lettuce leaves {@code LOADING} to the application, redis/lettuce#625). So this
 * handler holds the channel-active event back from Lettuce and sends {@code PING}: while the answer is
 * {@code LOADING} it asks again (after {@code pollDelay} of the attempt); any other reply — an error reply too, as an
 * ACL may deny {@code PING} — passes the event on. Until then Lettuce keeps buffering (it accepts commands while
 * disconnected, bounded by {@code request.queue.size}) and the commands' own timeouts run. A {@code PING} unanswered
 * for {@code pingTimeout} closes the channel, and Lettuce reconnects.
 *
 * <p><b>A read error no longer fails the oldest command.</b> On an I/O error (the server killed: "Connection reset")
 * Lettuce's {@link CommandHandler} completes the oldest command in flight with the error — only that one, as it
 * replays the others — and, when it is not (or no longer) connected, also fails with it every command written until
 * the next reconnect. This handler keeps an {@link IOException} from it once the handshake is done, and closes the
 * channel (Netty closes it after a read error anyway).
 *
 * <p><b>A write that fails as the connection breaks stays in its place.</b> Lettuce writes a command again when its
 * write fails, but with auto-flush off (the publish connection) that appends it behind every command queued since,
 * out of order. When a write fails with an {@link IOException} before the channel-inactive event has passed here,
 * the command is still on the {@link CommandHandler}'s stack, which that event hands back for replay in order; so
 * this handler reports such a write as done instead of failed. (A write attempted after that event still fails and
 * is re-queued by Lettuce, behind newer commands.)
 *
 * <p>A command in flight may have been executed before the connection broke: replaying it may execute it twice.
 *
 * <p>With TLS ({@code rediss://}) Lettuce puts Netty's {@code SslHandler} first in the pipeline, ahead of its
 * handshake handler and of this guard, so the guard sees plain commands, and the channel-active event only once both
 * the TLS handshake and Lettuce's {@code HELLO}/{@code AUTH} have succeeded; a refused certificate or password fails
 * Lettuce's handshake before that, and this handler, not yet handshaken, passes such an error on untouched (it never
 * takes it for a broken connection). An {@link javax.net.ssl.SSLException} after the handshake is an {@link IOException} and is handled
 * as the connection breaking ({@code RedisMutualTlsIT} restarts a server under a TLS connection).
 */
final class ReconnectGuard extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(ReconnectGuard.class);
    static final String NAME = "omnibus-reconnect-guard";

    private final String server;
    private final Duration pingTimeout;
    private final IntFunction<Duration> pollDelay;
    /** Lettuce's handshake is done (the channel-active event reached this handler). */
    private boolean handshaken;
    /** The channel-active event was passed on to Lettuce. */
    private boolean active;
    /** The channel-inactive event passed here: Lettuce has taken back what its stack held. */
    private boolean inactive;
    private AsyncCommand<byte[], byte[], String> ping;
    private ScheduledFuture<?> pingExpiry;
    private int loadingAnswers;

    private ReconnectGuard(String server, Duration pingTimeout, IntFunction<Duration> pollDelay) {
        this.server = server;
        this.pingTimeout = pingTimeout;
        this.pollDelay = pollDelay;
    }

    /**
     * Adds a guard to a channel Lettuce has just initialized (from its {@code NettyCustomizer}).
     *
     * @param server    the redacted URL, for logs
     * @param pollDelay how long to wait before asking again after the n-th {@code LOADING} answer
     */
    static void install(Channel channel, String server, Duration pingTimeout, IntFunction<Duration> pollDelay) {
        ChannelHandlerContext commands = channel.pipeline().context(CommandHandler.class);
        if (commands == null) {
            log.warn("redis: no Lettuce CommandHandler on {}; commands replayed after a reconnect may meet a server "
                    + "still loading its data", channel);
            return;
        }
        channel.pipeline().addBefore(commands.name(), NAME, new ReconnectGuard(server, pingTimeout, pollDelay));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        handshaken = true;
        sendPing(ctx);
    }

    private void sendPing(ChannelHandlerContext ctx) {
        if (active || inactive) {
            return;
        }
        AsyncCommand<byte[], byte[], String> p = new AsyncCommand<>(
                new Command<>(CommandType.PING, new StatusOutput<>(ByteArrayCodec.INSTANCE)));
        ping = p;
        pingExpiry = ctx.executor().schedule(() -> {
            if (ping == p) {
                log.debug("redis: {} did not answer PING within {} after connecting; reconnecting", server,
                        pingTimeout);
                ctx.close();
            }
        }, pingTimeout.toNanos(), TimeUnit.NANOSECONDS);
        p.whenComplete((pong, error) -> {
            if (ctx.executor().inEventLoop()) {
                answered(ctx, p, error);
            } else {
                ctx.executor().execute(() -> answered(ctx, p, error));
            }
        });
        // through the whole pipeline, as Lettuce's handshake writes HELLO: its CommandHandler takes the reply
        ctx.channel().writeAndFlush(p);
    }

    private void answered(ChannelHandlerContext ctx, AsyncCommand<byte[], byte[], String> p, Throwable error) {
        if (p != ping) {
            return;
        }
        ping = null;
        pingExpiry.cancel(false);
        if (inactive) {
            return;
        }
        if (error instanceof RedisLoadingException) {
            loadingAnswers++;
            Duration delay = pollDelay.apply(loadingAnswers);
            log.debug("redis: {} is still loading its data (LOADING); holding this connection's commands back, "
                    + "asking again in {}", server, delay);
            ctx.executor().schedule(() -> sendPing(ctx), delay.toNanos(), TimeUnit.NANOSECONDS);
            return;
        }
        if (error != null && !(error instanceof RedisCommandExecutionException)) {
            log.debug("redis: PING to {} got no reply ({}); reconnecting", server, error.toString());
            ctx.close();
            return;
        }
        if (loadingAnswers > 0) {
            log.debug("redis: {} has loaded its data; the connection resumes", server);
        }
        active = true;
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        inactive = true;
        AsyncCommand<byte[], byte[], String> p = ping;
        if (p != null) {
            ping = null;
            pingExpiry.cancel(false);
            p.cancel(); // done: Lettuce replays only what is not, so it never sends this PING on the next channel
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (handshaken && cause instanceof IOException) {
            log.debug("redis: connection to {} broke ({}); its commands are sent again after the reconnect", server,
                    cause.toString());
            ctx.close();
            return;
        }
        super.exceptionCaught(ctx, cause);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (!handshaken || promise.isVoid()) {
            ctx.write(msg, promise);
            return;
        }
        ChannelPromise written = ctx.newPromise();
        written.addListener(f -> {
            if (f.isSuccess()) {
                promise.trySuccess();
            } else if (f.cause() instanceof IOException && !inactive) {
                // still on CommandHandler's stack, which the coming channel-inactive event hands back in order
                promise.trySuccess();
            } else {
                promise.tryFailure(f.cause());
            }
        });
        ctx.write(msg, written);
    }
}
