"""Network: no socket can be made at all (TCP, UDP, unix), and nothing reaches the host."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def listeners():
    """A TCP server and a UDP socket on the host's loopback, watched for any contact."""
    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    tcp.settimeout(0.2)
    udp.settimeout(0.2)
    yield tcp, udp
    tcp.close()
    udp.close()


def contacted(tcp: socket.socket, udp: socket.socket) -> bool:
    for receive in (tcp.accept, lambda: udp.recvfrom(100)):
        try:
            receive()
            return True
        except TimeoutError:
            pass
    return False


def test_tcp_and_udp_to_the_host_are_refused_and_nothing_arrives(attack, listeners):
    tcp, udp = listeners
    tcp_port, udp_port = tcp.getsockname()[1], udp.getsockname()[1]
    code = f"""
    import socket
    def tcp(x):
        socket.create_connection(("127.0.0.1", {tcp_port}), timeout=1)
    def udp(x):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"leak", ("127.0.0.1", {udp_port}))
    def unix(x):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\\0some-abstract-socket")
    def dns(x):
        return socket.getaddrinfo("example.com", 80)
    """
    names = ("tcp", "udp", "unix", "dns")
    report = attack.run(code, *(attack.call(n, x=attack.x()) for n in names))
    for name in names:
        observation = report.observations[name]
        assert observation.status == "exception", (name, observation)
    assert "PermissionError" in report.observations["tcp"].error
    assert not contacted(tcp, udp)
    attack.still_grades()
