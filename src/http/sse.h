// EventStream: what a server-sent-events producer writes to (text/event-stream, WHATWG HTML
// §9.2). A handler returns Response::ServerSentEvents(producer); the server writes the headers
// (chunked transfer coding, Cache-Control: no-store) and runs the producer as a coroutine on the
// connection's executor, so a producer that waits (timer, notification) holds no worker thread.
//
// Thread-safety: one producer uses its EventStream; call it only from the producer's coroutine.
#pragma once

// Boost 1.74's asio/awaitable.hpp misses this include under GCC 12: it must come first.
// clang-format off
#include <utility>
// clang-format on

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>

namespace idscheme::http {

class EventStream {
 public:
  // Writes one chunk of the response body; false when the client is gone or the write timed out.
  using ChunkWriter = std::function<boost::asio::awaitable<bool>(std::string_view)>;

  EventStream(ChunkWriter writer, const std::atomic<bool>* server_stopping)
      : writer_(std::move(writer)), stopping_(server_stopping) {}

  // Sends one event. `data` may span lines (each becomes a `data:` line); `event` and `id` must
  // be one line each. Returns false when the stream is over (client gone, bad event or id, or
  // the server is stopping): the producer should then return.
  boost::asio::awaitable<bool> Send(std::string_view data, std::string_view event = {},
                                    std::string_view id = {});
  // A comment line (`: text`): keeps proxies from timing the stream out.
  boost::asio::awaitable<bool> Comment(std::string_view text);

  // True once the server began a graceful stop: finish soon.
  bool stopping() const { return stopping_ && stopping_->load(std::memory_order_relaxed); }
  bool open() const { return open_; }
  // True when a write failed (client gone, write timeout): the connection is unusable.
  bool write_failed() const { return write_failed_; }

 private:
  boost::asio::awaitable<bool> Write(std::string text);

  ChunkWriter writer_;
  const std::atomic<bool>* stopping_;
  bool open_ = true;
  bool write_failed_ = false;
};

// Formats one event in the text/event-stream syntax (exposed for tests); empty when `event` or
// `id` holds a line break or `id` a NUL.
std::string FormatEvent(std::string_view data, std::string_view event, std::string_view id);

}  // namespace idscheme::http
