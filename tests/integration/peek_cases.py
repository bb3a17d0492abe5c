"""peek_cases.py: an HTTP/1.1 server and client in one process, on raw
sockets, that look at heads with MSG_PEEK before they read them, or
only look (tests/integration/test_http_peek.py). Each connection's
requests and how each side takes them:
  /a1 /a2  keep-alive; both sides peek a little, then all, then read in
           two parts that straddle what was peeked
  /b       the server only peeks at the request, answers and closes
  /c       the client only peeks at the response, then closes
Peeks go through recv (server), recvfrom and recvmsg (client). Prints
`done` when every response was seen."""
import socket
import threading

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
CONNS = [(["/a1", "/a2"], "read", "read"), (["/b"], "peek", "read"), (["/c"], "read", "peek")]
PEEK = socket.MSG_PEEK


def peek_until(peek, end):
    """What peek(n) shows once it holds `end` bytes (None: closed)."""
    data = peek(5)
    while len(data) < end(data):
        data = peek(65536)
        if not data:
            return None
    return data


def head_end(data):
    i = data.find(b"\r\n\r\n")
    return i + 4 if i >= 0 else len(data) + 1


def take(sock, n):
    """n bytes read in two parts."""
    got = sock.recv(3)
    while len(got) < n:
        got += sock.recv(n - len(got))
    return got


def serve(listener, done):
    for targets, mode, _ in CONNS:
        conn, _ = listener.accept()
        for _ in targets:
            head = peek_until(lambda n: conn.recv(n, PEEK), head_end)
            if mode == "read":
                assert take(conn, len(head)) == head
            conn.sendall(RESPONSE)
        done.wait()
        done.clear()
        conn.close()


def ask(port, done):
    for i, (targets, _, mode) in enumerate(CONNS):
        c = socket.create_connection(("127.0.0.1", port))
        for target in targets:
            c.sendall(b"GET %s HTTP/1.1\r\nHost: peek\r\n\r\n" % target.encode())
            if i == 2:
                peek = lambda n: c.recvmsg(n, 0, PEEK)[0]
            else:
                peek = lambda n: c.recvfrom(n, PEEK)[0]
            shown = peek_until(peek, lambda d: head_end(d) + 5 if head_end(d) <= len(d)
                               else len(d) + 1)
            assert shown == RESPONSE, shown
            if mode == "read":
                assert take(c, len(RESPONSE)) == RESPONSE
        c.close()
        done.set()


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    done = threading.Event()
    server = threading.Thread(target=serve, args=(listener, done))
    server.start()
    ask(listener.getsockname()[1], done)
    server.join()
    print("done")


main()
