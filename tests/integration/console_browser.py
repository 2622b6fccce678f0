"""console_browser.py - what the console's browser scripts share: headless
Chromium through Debian's chromedriver, the steps an officer takes (open a
page, type, choose, click a data-action button), screenshots, a download made
with the browser's session cookie, and the way a step fails."""
import http.client
import os
import sys
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Browser:
    """One headless Chromium on the console at args.url; screenshots named PREFIX-NAME.png."""

    def __init__(self, args, prefix):
        self.args = args
        self.prefix = prefix
        u = urllib.parse.urlsplit(args.url)
        self.host, self.port = u.hostname, u.port
        self.base = "http://%s:%d" % (self.host, self.port)
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                  "--window-size=1280,900", "--lang=vi"):
            opts.add_argument(a)
        self.drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        self.drv.set_page_load_timeout(30)
        self.wait = self.waiter(20)

    def waiter(self, seconds):
        # A page that reloads itself (the sync's progress) may drop an element being read.
        return WebDriverWait(self.drv, seconds, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException))

    def go(self, path):
        self.drv.get(self.base + path)

    def shot(self, name):
        os.makedirs(self.args.shots, exist_ok=True)
        self.drv.save_screenshot(os.path.join(self.args.shots, "%s-%s.png" % (self.prefix, name)))

    def field(self, name):
        return self.drv.find_element(By.NAME, name)

    def type(self, name, text):
        el = self.field(name)
        el.clear()
        el.send_keys(text)

    def choose(self, name, value):
        Select(self.field(name)).select_by_value(value)

    def click(self, action):
        self.drv.find_element(By.CSS_SELECTOR, '[data-action="%s"]' % action).click()

    def raw_bytes(self, method, path):
        """A request with the browser's session, as a download link sends it."""
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        s = self.drv.get_cookie("thidua_session")
        check(s is not None, "the browser holds no session cookie")
        c.request(method, path, headers={"Host": "%s:%d" % (self.host, self.port),
                                         "Cookie": "thidua_session=" + s["value"]})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data, r

    def download(self, path):
        st, data, r = self.raw_bytes("GET", path)
        check(st == 200, "%s answered %d: %r" % (path, st, data[:300]))
        check("attachment" in (r.getheader("Content-Disposition") or ""),
              "%s is not a download" % path)
        return data
