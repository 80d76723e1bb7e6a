// One page of a listing ordered by id.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace idscheme {

template <typename T>
struct Page {
  std::vector<T> items;
  // Set when more rows follow: ask again with after=<next_after>. Empty on the last page, so a
  // full last page does not send the caller after an empty one.
  std::string next_after;
};

// `items` was read with a limit one above `limit`: the extra row, when there is one, only says
// that another page follows. `id` gives an item's id.
template <typename T, typename IdOf>
Page<T> ToPage(std::vector<T> items, int limit, IdOf id) {
  Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(static_cast<size_t>(limit));
    page.next_after = id(items.back());
  }
  page.items = std::move(items);
  return page;
}

}  // namespace idscheme
