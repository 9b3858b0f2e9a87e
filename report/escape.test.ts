import { escapeHtml, escapeMarkdown, fileUrl, markdownCode, relativeFileHref } from "./escape";

describe("escapeHtml", () => {
  it("escapes the five HTML-significant characters, in text and in either attribute quote", () => {
    expect(escapeHtml(`<script>alert("x" + 'y') & 1</script>`)).toBe("&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;) &amp; 1&lt;/script&gt;");
  });

  it("does not double-escape by accident and leaves plain text alone", () => {
    expect(escapeHtml("10.1.5.10 → 10.1.8.10")).toBe("10.1.5.10 → 10.1.8.10");
    expect(escapeHtml("&amp;")).toBe("&amp;amp;");
  });

  it("shows control characters instead of writing them", () => {
    expect(escapeHtml("a\u0000b\u001bc\td\ne")).toBe("a\\x00b\\x1bc\td\ne");
  });
});

describe("escapeMarkdown", () => {
  it("keeps a table cell one cell: pipes escaped, line breaks flattened, HTML neutralised", () => {
    const s = escapeMarkdown("a|b\nc <b>*d*</b> [x](y) `z`");
    expect(s).not.toMatch(/(^|[^\\])\|/);
    expect(s).not.toContain("\n");
    expect(s).not.toContain("<b>");
    expect(s).toContain("\\*d\\*");
    expect(s).toContain("\\[x\\](y)");
    expect(escapeMarkdown("pod's (proto 4) #1 + 2")).toBe("pod's (proto 4) #1 + 2");
    expect(s).toContain("\\`z\\`");
  });
});

describe("markdownCode", () => {
  it("fences with more backticks than the text holds", () => {
    expect(markdownCode("/tmp/a.pcap")).toBe("`/tmp/a.pcap`");
    expect(markdownCode("a``b")).toBe("```a``b```");
    expect(markdownCode("`x")).toBe("`` `x ``");
  });
});

describe("file links", () => {
  it("makes absolute file:// URLs with percent-encoding", () => {
    expect(fileUrl("/tmp/a b/#1.pcap")).toBe("file:///tmp/a%20b/%231.pcap");
  });

  it("makes relative links from the report folder, segment by segment encoded", () => {
    expect(relativeFileHref("/work/x/captures/ipip/same subnet.pcap", "/work/x/reports")).toBe("../captures/ipip/same%20subnet.pcap");
    expect(relativeFileHref("/work/x/reports/a?.pcap", "/work/x/reports")).toBe("a%3F.pcap");
  });
});
