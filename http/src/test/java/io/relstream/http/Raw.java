package io.relstream.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A raw loopback client that can misbehave; reads one response (status line, headers, body). */
final class Raw implements AutoCloseable {
  final Socket socket;

  Raw(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(30_000);
    socket.setTcpNoDelay(true);
  }

  Raw send(String s) throws IOException {
    return send(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  Raw send(byte[] b) throws IOException {
    socket.getOutputStream().write(b);
    socket.getOutputStream().flush();
    return this;
  }

  /** One parsed response. */
  record Reply(int status, String head, String body) {
    String header(String name) {
      for (String line : head.split("\r\n")) {
        int c = line.indexOf(':');
        if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
          return line.substring(c + 1).trim();
        }
      }
      return null;
    }
  }

  /** Reads one response with a Content-Length body (or until EOF). */
  Reply read() throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("EOF in response head: " + head);
      }
      head.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
          : (c == '\r' ? 1 : 0);
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int status = Integer.parseInt(h.substring(9, 12));
    Reply partial = new Reply(status, h, "");
    String len = partial.header("Content-Length");
    byte[] body;
    if (len != null) {
      body = in.readNBytes(Integer.parseInt(len));
    } else if ("chunked".equalsIgnoreCase(partial.header("Transfer-Encoding"))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (true) {
        String size = line(in);
        int n = Integer.parseInt(size.trim(), 16);
        if (n == 0) {
          line(in);
          break;
        }
        out.write(in.readNBytes(n));
        line(in);
      }
      body = out.toByteArray();
    } else {
      body = in.readAllBytes();
    }
    return new Reply(status, h, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  /** True when the server has closed (EOF, or a reset) within the socket timeout. */
  boolean closedByServer() {
    try {
      return socket.getInputStream().read() < 0;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
