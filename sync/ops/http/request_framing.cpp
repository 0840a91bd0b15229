#include "ops/http/request_framing.hpp"

#include <algorithm>
#include <cctype>

#include "base/text.hpp"

namespace tasksync::http {
namespace {

// Chunk-size lines, extensions and trailers: room allowed beyond the data itself.
constexpr std::size_t kFramingAllowance = 64 * 1024;
constexpr std::size_t kLongestFramingLine = 1024;

} // namespace

RequestHead read_request_head(std::string_view head) {
  RequestHead parsed;
  std::size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const auto method_end = request_line.find(' ');
  if (method_end != std::string_view::npos) {
    parsed.method = std::string(request_line.substr(0, method_end));
    std::string_view target = request_line.substr(method_end + 1);
    target = target.substr(0, target.find(' '));
    parsed.path = std::string(target.substr(0, target.find('?')));
  }
  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, line_end == std::string_view::npos ? line_end : line_end - start);
    // RFC 9112 5.1 and 5.2: a field name with white space in or after it, or a line folded onto the
    // one before, must be refused: proxies and httplib disagree on what they mean.
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      parsed.ambiguous = true;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view raw_name = line.substr(0, colon);
    if (raw_name.empty() || raw_name.find_first_of(" \t") != std::string_view::npos) {
      parsed.ambiguous = true;
      continue;
    }
    const std::string name = ascii_lower(raw_name);
    const std::string value(trim_http_whitespace(line.substr(colon + 1)));
    if (name == "content-length") {
      if (parsed.content_length && *parsed.content_length != value) parsed.ambiguous = true;
      parsed.content_length = value;
    } else if (name == "transfer-encoding") {
      // Its lines are one list (RFC 9110 5.3): the last must not silently stand for them all.
      parsed.transfer_encoding = parsed.transfer_encoding ? *parsed.transfer_encoding + ", " + value : value;
    } else if (name == "expect") {
      parsed.expects_continue = ascii_lower(value) == "100-continue";
    }
  }
  return parsed;
}

BodyFraming::BodyFraming(const RequestHead &head, std::size_t max_bytes) : m_max_bytes(max_bytes) {
  // Both framings at once is how requests are smuggled past proxies: refused, not guessed at.
  if (head.ambiguous || (head.content_length && head.transfer_encoding)) {
    m_status = Status::malformed;
  } else if (head.transfer_encoding) {
    m_chunked = ascii_lower(*head.transfer_encoding) == "chunked";
    if (!m_chunked) m_status = Status::malformed;
  } else if (head.content_length) {
    const std::string &length = *head.content_length;
    if (!is_decimal(length)) {
      m_status = Status::malformed;
    } else if (length.size() > 15 || std::stoull(length) > max_bytes) {
      m_status = Status::too_large;
    } else {
      m_length = static_cast<std::size_t>(std::stoull(length));
    }
  }
  // Neither: no body (HTTP/1.1).
}

std::size_t BodyFraming::read_limit() const { return m_chunked ? m_max_bytes + kFramingAllowance : m_length; }

BodyFraming::Status BodyFraming::scan(std::string_view body) {
  if (m_status != Status::incomplete) return m_status;
  if (m_chunked) {
    m_status = scan_chunks(body);
    if (m_status == Status::incomplete && body.size() >= read_limit()) m_status = Status::too_large;
  } else if (body.size() >= m_length) {
    m_end = m_length;
    m_status = Status::complete;
  }
  return m_status;
}

BodyFraming::Status BodyFraming::scan_chunks(std::string_view body) {
  for (;;) {
    const std::size_t line_end = body.find("\r\n", m_end);
    if (line_end == std::string_view::npos) {
      return body.size() - m_end > kLongestFramingLine ? Status::malformed : Status::incomplete;
    }
    const std::string_view line = body.substr(m_end, line_end - m_end);
    if (line.size() > kLongestFramingLine) return Status::malformed;
    if (m_trailer) {
      m_end = line_end + 2;
      if (line.empty()) return Status::complete;
      continue;
    }
    // chunk-size [; extensions]
    const std::string_view size_text = trim_http_whitespace(line.substr(0, line.find(';')));
    if (size_text.empty() || size_text.size() > 8 || !std::all_of(size_text.begin(), size_text.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c));
        })) {
      return Status::malformed;
    }
    const std::size_t size = std::stoul(std::string(size_text), nullptr, 16);
    if (size == 0) {
      m_trailer = true;
      m_end = line_end + 2;
      continue;
    }
    if (m_decoded + size > m_max_bytes) return Status::too_large;
    const std::size_t data_end = line_end + 2 + size;
    if (body.size() < data_end + 2) return Status::incomplete;
    if (body.substr(data_end, 2) != "\r\n") return Status::malformed;
    m_decoded += size;
    m_end = data_end + 2;
  }
}

} // namespace tasksync::http
