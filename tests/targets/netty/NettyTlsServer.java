/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * NettyTlsServer: a Netty 4.1 TLS echo server on 127.0.0.1 for the
 * end-to-end tests. With --provider openssl (the default) TLS goes through
 * netty-tcnative, i.e. OpenSSL through JNI; with --provider jdk through the
 * JDK's own TLS, so no OpenSSL is in the process.
 *
 *   java -cp CLASSPATH NettyTlsServer --port P --cert FILE --key FILE
 *        [--provider openssl|jdk]
 *
 * Prints "listening PORT pid PID" once it accepts connections (P = 0 picks
 * an ephemeral port), and on stderr which provider and OpenSSL it uses.
 * Prints "closed N" each time a connection was closed and its TLS engine
 * released (with OpenSSL: SSL_free done), N counting from 1.
 * Exits 0 on SIGTERM or SIGINT, 1 when the provider asked for is not
 * available, 2 on bad arguments.
 */
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

public final class NettyTlsServer {
	private static void usage(String msg)
	{
		if (msg != null)
			System.err.println("netty_server: " + msg);
		System.err.println("usage: java NettyTlsServer --port P --cert FILE --key FILE"
				   + " [--provider openssl|jdk]");
		System.exit(2);
	}

	@ChannelHandler.Sharable
	private static final class Echo extends ChannelInboundHandlerAdapter {
		private final AtomicLong closed = new AtomicLong();

		/* SslHandler, before this handler, has released its engine by now */
		@Override
		public void channelInactive(ChannelHandlerContext ctx) throws Exception
		{
			System.out.println("closed " + closed.incrementAndGet());
			super.channelInactive(ctx);
		}

		@Override
		public void channelRead(ChannelHandlerContext ctx, Object msg)
		{
			ctx.writeAndFlush(msg);
		}

		@Override
		public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause)
		{
			ctx.close();
		}
	}

	public static void main(String[] args) throws Exception
	{
		int port = -1;
		String cert = null, key = null, provider = "openssl";

		for (int i = 0; i < args.length; i += 2) {
			if (i + 1 >= args.length)
				usage("missing value for " + args[i]);
			switch (args[i]) {
			case "--port":
				try {
					port = Integer.parseInt(args[i + 1]);
				} catch (NumberFormatException e) {
					usage("--port needs a number in 0..65535");
				}
				break;
			case "--cert":
				cert = args[i + 1];
				break;
			case "--key":
				key = args[i + 1];
				break;
			case "--provider":
				provider = args[i + 1];
				break;
			default:
				usage("bad argument " + args[i]);
			}
		}
		if (port < 0 || port > 65535)
			usage("--port needs a number in 0..65535");
		if (cert == null || key == null)
			usage("--cert and --key are required");

		SslProvider prov;
		if (provider.equals("openssl")) {
			if (!OpenSsl.isAvailable()) {
				System.err.println("netty_server: OpenSSL is not available: "
						   + OpenSsl.unavailabilityCause());
				System.exit(1);
			}
			prov = SslProvider.OPENSSL;
			System.err.println("netty_server: provider OPENSSL, " + OpenSsl.versionString()
					   + " (0x" + Long.toHexString(OpenSsl.version()) + ")");
		} else if (provider.equals("jdk")) {
			prov = SslProvider.JDK;
			System.err.println("netty_server: provider JDK");
		} else {
			usage("--provider is openssl or jdk");
			return;
		}

		final SslContext ssl = SslContextBuilder.forServer(new File(cert), new File(key))
			.sslProvider(prov).build();
		final Echo echo = new Echo();
		EventLoopGroup boss = new NioEventLoopGroup(1);
		EventLoopGroup workers = new NioEventLoopGroup(4);

		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			boss.shutdownGracefully();
			workers.shutdownGracefully();
		}));
		ServerBootstrap b = new ServerBootstrap()
			.group(boss, workers)
			.channel(NioServerSocketChannel.class)
			.childHandler(new ChannelInitializer<SocketChannel>() {
				@Override
				protected void initChannel(SocketChannel ch)
				{
					ch.pipeline().addLast(ssl.newHandler(ch.alloc()), echo);
				}
			});
		Channel ch = b.bind("127.0.0.1", port).sync().channel();
		int bound = ((InetSocketAddress)ch.localAddress()).getPort();
		System.out.println("listening " + bound + " pid " + ProcessHandle.current().pid());
		System.out.flush();
		ch.closeFuture().sync();
	}
}
