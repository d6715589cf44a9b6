package dev.omnibus.tck;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The kit's fault proxy against a local echo server: pass, stall, cut, slow, and no thread left after close. */
class FaultProxyTest {
    private ServerSocket echo;
    private ExecutorService echoThreads;
    private FaultProxy proxy;

    @BeforeEach
    void startEchoServerAndProxy() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        echoThreads = Executors.newCachedThreadPool();
        echoThreads.execute(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    echoThreads.execute(() -> echoLoop(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
        proxy = new FaultProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort()));
    }

    private static void echoLoop(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buffer = new byte[1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // the client or the proxy went away
        }
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        echo.close();
        echoThreads.shutdownNow();
        echoThreads.awaitTermination(5, TimeUnit.SECONDS);
    }

    private Socket client() throws IOException {
        Socket s = new Socket();
        s.connect(proxy.address(), 2_000);
        s.setSoTimeout(2_000);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        return read(s, text.length());
    }

    private static String read(Socket s, int length) throws IOException {
        byte[] got = s.getInputStream().readNBytes(length);
        return new String(got, StandardCharsets.UTF_8);
    }

    @Test
    void passForwardsBothWays() throws IOException {
        try (Socket s = client()) {
            assertThat(roundTrip(s, "hello")).isEqualTo("hello");
            assertThat(proxy.connections()).isEqualTo(1);
        }
    }

    @Test
    void stallHoldsBytesWithoutLosingThem() throws IOException {
        try (Socket s = client()) {
            assertThat(roundTrip(s, "warm")).isEqualTo("warm");
            proxy.mode(FaultProxy.Mode.STALL);
            s.setSoTimeout(300);
            s.getOutputStream().write("held".getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            proxy.mode(FaultProxy.Mode.PASS);
            s.setSoTimeout(2_000);
            assertThat(read(s, 4)).isEqualTo("held");
        }
    }

    @Test
    void cutResetsOpenConnectionsAndRefusesNewOnesUntilPass() throws IOException {
        try (Socket open = client()) {
            assertThat(roundTrip(open, "a")).isEqualTo("a");
            proxy.mode(FaultProxy.Mode.CUT);
            assertThat(readOrFail(open)).as("open connection ends").isEqualTo(-1);
            try (Socket refused = client()) {
                refused.getOutputStream().write('x');
                assertThat(readOrFail(refused)).as("new connection is closed at once").isEqualTo(-1);
            }
        }
        proxy.mode(FaultProxy.Mode.PASS);
        try (Socket again = client()) {
            assertThat(roundTrip(again, "back")).isEqualTo("back");
        }
    }

    private static int readOrFail(Socket s) {
        try {
            return s.getInputStream().read();
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void slowDelaysEachChunk() throws IOException {
        try (Socket s = client()) {
            proxy.slowDelay(Duration.ofMillis(150));
            proxy.mode(FaultProxy.Mode.SLOW);
            long start = System.nanoTime();
            assertThat(roundTrip(s, "slow")).isEqualTo("slow");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(ms).as("two delayed hops of 150ms").isBetween(280L, 5_000L);
        }
    }

    @Test
    void closeStopsEveryProxyThread() throws IOException {
        try (Socket s = client()) {
            assertThat(roundTrip(s, "x")).isEqualTo("x");
        }
        proxy.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("omnibus-fault-proxy")));
    }
}
