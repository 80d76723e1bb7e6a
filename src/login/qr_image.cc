#include "login/qr_image.h"

#include <qrencode.h>

#include <memory>

#include "oidc/authorization_response.h"

namespace idscheme::login {

Result<std::string> QrSvg(std::string_view text) {
  std::string input(text);
  if (input.size() > 1024) return Status::InvalidArgument("QR text too long");
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!code) return Status::InvalidArgument("QR text cannot be encoded");
  constexpr int kQuiet = 4;  // ISO/IEC 18004 §7.3.7: four modules of quiet zone
  const int width = code->width;
  const int size = width + 2 * kQuiet;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(size) + " " + std::to_string(size) +
                    "\" shape-rendering=\"crispEdges\"><desc>" + oidc::HtmlEscape(text) +
                    "</desc><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
                    "<path fill=\"#000\" d=\"";
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      // libqrencode: bit 0 of each module byte is 1 for a dark module.
      if (code->data[y * width + x] & 1) {
        svg += "M" + std::to_string(x + kQuiet) + " " + std::to_string(y + kQuiet) + "h1v1h-1z";
      }
    }
  }
  svg += "\"/></svg>";
  return svg;
}

}  // namespace idscheme::login
