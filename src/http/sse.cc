#include "http/sse.h"

namespace idscheme::http {

std::string FormatEvent(std::string_view data, std::string_view event, std::string_view id) {
  // WHATWG HTML §9.2.6: fields end at CR, LF or CRLF; a NUL in `id` makes the field ignored.
  if (event.find_first_of("\r\n") != std::string_view::npos ||
      id.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return {};
  }
  std::string out;
  out.reserve(data.size() + event.size() + id.size() + 32);
  if (!event.empty()) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  if (!id.empty()) {
    out += "id: ";
    out += id;
    out += '\n';
  }
  size_t start = 0;
  for (;;) {
    size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out += data.substr(start, end == std::string_view::npos ? end : end - start);
    out += '\n';
    if (end == std::string_view::npos) break;
    if (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ++end;
    start = end + 1;
  }
  out += '\n';
  return out;
}

boost::asio::awaitable<bool> EventStream::Write(std::string text) {
  if (!open_ || stopping()) {
    open_ = false;
    co_return false;
  }
  open_ = co_await writer_(text);
  write_failed_ = !open_;
  co_return open_;
}

boost::asio::awaitable<bool> EventStream::Send(std::string_view data, std::string_view event,
                                               std::string_view id) {
  std::string text = FormatEvent(data, event, id);
  if (text.empty()) {
    open_ = false;
    co_return false;
  }
  co_return co_await Write(std::move(text));
}

boost::asio::awaitable<bool> EventStream::Comment(std::string_view text) {
  std::string line = ": ";
  for (char c : text) line.push_back(c == '\r' || c == '\n' ? ' ' : c);
  line += "\n\n";
  co_return co_await Write(std::move(line));
}

}  // namespace idscheme::http
