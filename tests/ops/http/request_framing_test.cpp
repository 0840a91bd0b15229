#include "ops/http/request_framing.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace tasksync::http;

namespace {

using Status = BodyFraming::Status;

// The body limit the framing is read under (a webhook's, 1 MiB).
constexpr std::size_t kLimit = 1024 * 1024;

// The head of a POST with `headers` (each "Name: value"), without its empty line.
RequestHead head_with(const std::vector<std::string> &headers) {
  std::string head = "POST /webhooks/anchorbrowser HTTP/1.1\r\nHost: localhost";
  for (const auto &header : headers)
    head += "\r\n" + header;
  return read_request_head(head + "\r\n");
}

// What one scan of `body` whole says, for a request with `headers`.
Status status_of(const std::vector<std::string> &headers, std::string_view body = "") {
  BodyFraming framing(head_with(headers), kLimit);
  return framing.scan(body);
}

// What scanning `body` as it arrives a byte at a time says at the first answer that is not
// incomplete, with the body's end then; scan() is called with every prefix in turn.
std::pair<Status, std::size_t> byte_by_byte(const std::vector<std::string> &headers, std::string_view body) {
  BodyFraming framing(head_with(headers), kLimit);
  for (std::size_t size = 0; size <= body.size(); ++size) {
    const Status status = framing.scan(body.substr(0, size));
    if (status != Status::incomplete) return {status, framing.end()};
  }
  return {Status::incomplete, 0};
}

const std::vector<std::string> kChunked = {"Transfer-Encoding: chunked"};

// A chunked body with one chunk of `size` bytes and the last chunk.
std::string one_chunk(std::size_t size) {
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", size);
  return size_line + std::string(size, 'x') + "\r\n0\r\n\r\n";
}

} // namespace

TEST(RequestHead, ReadsMethodPathWithoutQueryAndFramingHeadersInAnyCase) {
  const RequestHead head = read_request_head("POST /webhooks/anchorbrowser?x=1 HTTP/1.1\r\n"
                                             "cOnTeNt-LeNgTh:\t12 \r\n"
                                             "EXPECT: 100-Continue\r\n");
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.path, "/webhooks/anchorbrowser");
  ASSERT_TRUE(head.content_length);
  EXPECT_EQ(*head.content_length, "12");
  EXPECT_FALSE(head.transfer_encoding);
  EXPECT_TRUE(head.expects_continue);
  EXPECT_FALSE(head.ambiguous);
}

TEST(RequestHead, AHeadWithoutHeadersOrARequestLineReadsAsNoFraming) {
  for (const std::string_view text : {"", "garbage", "POST\r\n", "\r\n\r\n"}) {
    const RequestHead head = read_request_head(text);
    EXPECT_FALSE(head.content_length) << text;
    EXPECT_FALSE(head.transfer_encoding) << text;
  }
}

TEST(BodyFraming, ContentLengthEndsTheBodyAfterThatManyBytes) {
  BodyFraming framing(head_with({"Content-Length: 5"}), kLimit);
  EXPECT_EQ(framing.read_limit(), 5u);
  EXPECT_EQ(framing.scan("hell"), Status::incomplete);
  EXPECT_EQ(framing.scan("hello, the next request"), Status::complete);
  EXPECT_EQ(framing.end(), 5u);
}

TEST(BodyFraming, NoFramingHeaderIsAnEmptyBody) {
  BodyFraming framing(head_with({}), kLimit);
  EXPECT_EQ(framing.scan("ignored"), Status::complete);
  EXPECT_EQ(framing.end(), 0u);
}

TEST(BodyFraming, ContentLengthThatIsNotPlainDigitsIsMalformed) {
  for (const std::string &value :
       std::initializer_list<std::string>{"", "+5", "-5", "5 5", "5,5", "5, 5", "0x10", "1e3", "5.0", "５", "5\x01"}) {
    EXPECT_EQ(status_of({"Content-Length: " + value}, "hello"), Status::malformed) << value;
  }
}

TEST(BodyFraming, SpacesAroundContentLengthAndLeadingZerosAreTheSameLength) {
  BodyFraming framing(head_with({"Content-Length:   005\t"}), kLimit);
  EXPECT_EQ(framing.scan("hello"), Status::complete);
  EXPECT_EQ(framing.end(), 5u);
}

TEST(BodyFraming, ContentLengthOfTwentyDigitsIsTooLargeNotWrappedAround) {
  // 2^64 + 5 would be 5 if it wrapped; stoull would throw for it.
  for (const std::string &value :
       std::initializer_list<std::string>{"18446744073709551621", "99999999999999999999", std::string(1000, '9')}) {
    EXPECT_EQ(status_of({"Content-Length: " + value}, "hello"), Status::too_large) << value.substr(0, 30);
  }
}

TEST(BodyFraming, ContentLengthOfExactlyTheLimitIsReadAndOneMoreIsTooLarge) {
  const std::string body(kLimit, 'x');
  BodyFraming framing(head_with({"Content-Length: " + std::to_string(kLimit)}), kLimit);
  EXPECT_EQ(framing.read_limit(), kLimit);
  EXPECT_EQ(framing.scan(body), Status::complete);
  EXPECT_EQ(framing.end(), kLimit);
  // Refused by the header alone, before any byte of the body.
  EXPECT_EQ(status_of({"Content-Length: " + std::to_string(kLimit + 1)}), Status::too_large);
}

TEST(BodyFraming, ContentLengthTwiceWithTheSameValueIsThatLength) {
  BodyFraming framing(head_with({"Content-Length: 5", "content-length: 5"}), kLimit);
  EXPECT_EQ(framing.scan("hello"), Status::complete);
  EXPECT_EQ(framing.end(), 5u);
}

TEST(BodyFraming, ContentLengthTwiceWithDifferentValuesIsMalformed) {
  EXPECT_EQ(status_of({"Content-Length: 5", "Content-Length: 6"}, "hello!"), Status::malformed);
  EXPECT_EQ(status_of({"Content-Length: 6", "Content-Length: 5"}, "hello!"), Status::malformed);
  // Spelled differently is refused too: "equal" is not guessed at.
  EXPECT_EQ(status_of({"Content-Length: 5", "Content-Length: 05"}, "hello!"), Status::malformed);
}

TEST(BodyFraming, ContentLengthWithTransferEncodingIsMalformedInEitherOrder) {
  const std::string body = "5\r\nhello\r\n0\r\n\r\n";
  EXPECT_EQ(status_of({"Content-Length: 5", "Transfer-Encoding: chunked"}, body), Status::malformed);
  EXPECT_EQ(status_of({"Transfer-Encoding: chunked", "Content-Length: 5"}, body), Status::malformed);
}

TEST(BodyFraming, TransferEncodingOtherThanChunkedAloneIsMalformed) {
  const std::string body = "5\r\nhello\r\n0\r\n\r\n";
  for (const std::string &value : std::initializer_list<std::string>{"", "gzip", "identity", "gzip, chunked",
                                                                     "chunked, chunked", "chunked;q=1", "xchunked"}) {
    EXPECT_EQ(status_of({"Transfer-Encoding: " + value}, body), Status::malformed) << value;
  }
  EXPECT_EQ(status_of({"Transfer-Encoding: ChUnKeD"}, body), Status::complete);
}

TEST(BodyFraming, TransferEncodingOnTwoLinesIsOneListAndSoMalformed) {
  // RFC 9110 5.3: "gzip" then "chunked" is "gzip, chunked"; httplib reads only the first line.
  const std::string body = "5\r\nhello\r\n0\r\n\r\n";
  EXPECT_EQ(status_of({"Transfer-Encoding: gzip", "Transfer-Encoding: chunked"}, body), Status::malformed);
  EXPECT_EQ(status_of({"Transfer-Encoding: chunked", "Transfer-Encoding: identity"}, body), Status::malformed);
  EXPECT_EQ(status_of({"Transfer-Encoding: chunked", "Transfer-Encoding: chunked"}, body), Status::malformed);
}

TEST(BodyFraming, ChunkedBodyEndsAfterTheLastChunkAndItsEmptyLine) {
  const std::string body = "5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n";
  BodyFraming framing(head_with(kChunked), kLimit);
  EXPECT_EQ(framing.scan(body + "POST / HTTP/1.1\r\n\r\n"), Status::complete);
  EXPECT_EQ(framing.end(), body.size());
}

TEST(BodyFraming, ChunkExtensionsAndTrailersAreFollowed) {
  const std::string body =
      "5;name=value;x\r\nhello\r\n5 ; q=\"a;b\"\r\nworld\r\n0;last\r\nX-Trailer: 1\r\nY: 2\r\n\r\n";
  BodyFraming framing(head_with(kChunked), kLimit);
  EXPECT_EQ(framing.scan(body + "trailing"), Status::complete);
  EXPECT_EQ(framing.end(), body.size());
}

TEST(BodyFraming, ChunkSizesThatAreNotHexAreMalformed) {
  for (const std::string &size :
       std::initializer_list<std::string>{"", " ", "g", "0x5", "-5", "+5", "5 5", "5\t\x01", ";ext"}) {
    EXPECT_EQ(status_of(kChunked, size + "\r\nhello\r\n0\r\n\r\n"), Status::malformed) << size;
  }
}

TEST(BodyFraming, ChunkSizesBeyondThirtyTwoBitsAreMalformedNotWrappedAround) {
  // 2^64 + 5 would be a 5-byte chunk if it wrapped.
  for (const std::string &size : std::initializer_list<std::string>{
           "100000000", "10000000000000005", std::string(40, 'f'), std::string(2000, '0') + "5"}) {
    EXPECT_EQ(status_of(kChunked, size + "\r\nhello\r\n0\r\n\r\n"), Status::malformed) << size.substr(0, 30);
  }
}

TEST(BodyFraming, AChunkLargerThanTheLimitIsTooLargeBeforeItsData) {
  EXPECT_EQ(status_of(kChunked, "ffffffff\r\n"), Status::too_large);
  EXPECT_EQ(status_of(kChunked, "100001\r\n"), Status::too_large);
}

TEST(BodyFraming, ChunkedDataOfExactlyTheLimitIsReadAndOneMoreByteIsTooLarge) {
  const std::string whole = one_chunk(kLimit);
  BodyFraming framing(head_with(kChunked), kLimit);
  EXPECT_EQ(framing.scan(whole), Status::complete);
  EXPECT_EQ(framing.end(), whole.size());
  // The limit is on the data, however it is split into chunks.
  const std::string split = "80000\r\n" + std::string(kLimit / 2, 'x') + "\r\n80000\r\n" +
                            std::string(kLimit / 2, 'x') + "\r\n1\r\nx\r\n0\r\n\r\n";
  EXPECT_EQ(status_of(kChunked, split), Status::too_large);
  EXPECT_EQ(byte_by_byte(kChunked, split).first, Status::too_large);
}

TEST(BodyFraming, ChunkDataNotFollowedByItsLineEndIsMalformed) {
  EXPECT_EQ(status_of(kChunked, "5\r\nhelloX\r\n0\r\n\r\n"), Status::malformed); // longer than its size
  EXPECT_EQ(status_of(kChunked, "5\r\nhell\r\n0\r\n\r\n"), Status::malformed);   // shorter
  EXPECT_EQ(status_of(kChunked, "5\r\nhello\n0\r\n\r\n"), Status::malformed);    // bare LF
}

TEST(BodyFraming, BareLineFeedsAreNotLineEnds) {
  EXPECT_EQ(status_of(kChunked, "5\nhello\r\n0\r\n\r\n"), Status::malformed);
  EXPECT_EQ(status_of(kChunked, "5\r\nhello\r\n0\n\n"), Status::incomplete);
}

TEST(BodyFraming, ABodyWithoutTheEmptyLineAfterTheLastChunkIsIncomplete) {
  EXPECT_EQ(status_of(kChunked, "5\r\nhello\r\n0\r\n"), Status::incomplete);
  EXPECT_EQ(status_of(kChunked, "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n"), Status::incomplete);
}

TEST(BodyFraming, FramingLinesLongerThanAKibibyteAreMalformed) {
  // With its line end or still without one: waiting for it would let the line grow.
  EXPECT_EQ(status_of(kChunked, "5;" + std::string(1100, 'e') + "\r\nhello\r\n0\r\n\r\n"), Status::malformed);
  EXPECT_EQ(status_of(kChunked, "5;" + std::string(1100, 'e')), Status::malformed);
  EXPECT_EQ(status_of(kChunked, "5\r\nhello\r\n0\r\nX: " + std::string(1100, 't') + "\r\n\r\n"), Status::malformed);
  // 1024 bytes is still a line.
  EXPECT_EQ(status_of(kChunked, "5;" + std::string(1022, 'e') + "\r\nhello\r\n0\r\n\r\n"), Status::complete);
}

TEST(BodyFraming, FramingBeyondItsAllowanceIsTooLargeAsItArrives) {
  // Tiny chunks with long extensions: 1 KiB of framing per byte of data, far beyond 64 KiB.
  BodyFraming framing(head_with(kChunked), kLimit);
  EXPECT_EQ(framing.read_limit(), kLimit + 64 * 1024);
  std::string body;
  while (body.size() < framing.read_limit() + 2048)
    body += "1;" + std::string(1000, 'e') + "\r\nx\r\n";
  EXPECT_EQ(byte_by_byte(kChunked, body).first, Status::too_large);
}

TEST(BodyFraming, AnswersTheSameWhetherTheBodyArrivesWholeOrAByteAtATime) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"Content-Length: 5"}, "hello"},
      {{"Content-Length: 5"}, "hello and more"},
      {{"Content-Length: 0"}, ""},
      {kChunked, "5\r\nhello\r\n0\r\n\r\n"},
      {kChunked, "5\r\nhe\r\nl\r\n0\r\n\r\n"}, // CRLF inside the data
      {kChunked, "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\nnext"},
      {kChunked, "0\r\n\r\n"},
      {kChunked, "5\r\nhelloX\r\n0\r\n\r\n"},
      {kChunked, "zz\r\n"},
      {kChunked, "100001\r\n"},
      {kChunked, "5;" + std::string(1100, 'e')},
      {kChunked, one_chunk(kLimit)},
      {kChunked, one_chunk(kLimit + 1)},
  };
  for (const auto &[headers, body] : cases) {
    BodyFraming whole(head_with(headers), kLimit);
    const Status at_once = whole.scan(body);
    const auto [arriving, end] = byte_by_byte(headers, body);
    EXPECT_EQ(arriving, at_once) << body.substr(0, 40);
    if (at_once == Status::complete) {
      EXPECT_EQ(end, whole.end()) << body.substr(0, 40);
    }
  }
}

TEST(BodyFraming, AFinalAnswerStaysFinal) {
  BodyFraming framing(head_with(kChunked), kLimit);
  EXPECT_EQ(framing.scan("zz\r\n"), Status::malformed);
  EXPECT_EQ(framing.scan("5\r\nhello\r\n0\r\n\r\n"), Status::malformed);
}

// RFC 9112 5.1, 5.2: what another parser (a proxy in front, httplib behind) could read otherwise.
TEST(BodyFraming, WhiteSpaceBeforeTheColonOrAFoldedLineIsMalformed) {
  EXPECT_EQ(status_of({"Content-Length : 5"}, "12345"), Status::malformed);
  EXPECT_EQ(status_of({"Content-Length\t: 5"}, "12345"), Status::malformed);
  EXPECT_EQ(status_of({"Transfer-Encoding : chunked"}, "0\r\n\r\n"), Status::malformed);
  EXPECT_EQ(status_of({"Content-Length: 5", "X-Folded: a", "  Content-Length: 9"}, "12345"), Status::malformed);
  EXPECT_EQ(status_of({"Content-Length: 5", ": 5"}, "12345"), Status::malformed);
  EXPECT_EQ(status_of({"Content-Length: 5"}, "12345"), Status::complete);
}
