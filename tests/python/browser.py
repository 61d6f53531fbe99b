"""A stand-in for a browser, for $BROWSER in codemode's login tests: it opens
the authorization URL it is given, and follows the authorization server's
redirect to codemode's loopback address, as a browser would once the user
approved. Standard library only."""

import sys
import urllib.error
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)
try:
    opener.open(sys.argv[1], timeout=10)
    sys.exit("the authorization server did not redirect")
except urllib.error.HTTPError as answer:
    if answer.code not in (302, 303):
        sys.exit(f"the authorization server answered {answer.code}: {answer.read()[:300]!r}")
    location = answer.headers["location"]
urllib.request.urlopen(location, timeout=10).read()
