"""A SIGTERM handler the program sets with sigset while attached is the
program's after detach too: the wrapper steps aside for the signal, so
detach does not put back the disposition scope saw at attach (the default,
which would kill the program)."""
import signal
import unittest

from scopetest import AttachTest, example


class SigsetTest(AttachTest):
    def test_handler_set_while_attached_outlives_detach(self):
        p = self.started([example("sigsetter")], ready=r"ready \d+")
        self.attach(p.pid)
        self.assertEqual(self.ask(p, "sigset"), "set")
        self.detach(p.pid)
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.stdout.readline().strip(), "caught")
        self.assertEqual(p.wait(timeout=10), 0)


if __name__ == "__main__":
    unittest.main()
