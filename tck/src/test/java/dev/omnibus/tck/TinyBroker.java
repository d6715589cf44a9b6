package dev.omnibus.tck;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A stand-in broker for {@link BrokerProcessTest}, run as a child JVM in its dir: {@code TinyBroker <port> [mode]}.
 * Mode {@code serve} (the default) listens on the loopback port, appends a line to {@code starts} in the working dir,
 * logs {@code tiny broker listening on <port>} and greets every connection with {@code HELLO}; a graceful exit (not
 * {@code kill -9}) writes {@code graceful}. Mode {@code mute} listens but never greets; mode {@code fail} logs
 * {@code bad config} and exits with 3.
 */
public final class TinyBroker {
    private TinyBroker() {
    }

    /**
     * Runs the stand-in broker.
     *
     * @param args the port and the mode
     * @throws IOException if it cannot listen or write its files
     */
    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        String mode = args.length > 1 ? args[1] : "serve";
        if (mode.equals("fail")) {
            System.out.println("bad config");
            System.out.flush();
            System.exit(3);
        }
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        Files.writeString(Path.of("starts"), "started\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.writeString(Path.of("graceful"), "exited gracefully\n");
            } catch (IOException e) {
                // nothing to do on the way out
            }
        }));
        System.out.println("tiny broker listening on " + port);
        System.out.flush();
        while (true) {
            try (Socket s = server.accept()) {
                if (mode.equals("serve")) {
                    OutputStream out = s.getOutputStream();
                    out.write("HELLO\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } else {
                    s.getInputStream().read();
                }
            }
        }
    }
}
