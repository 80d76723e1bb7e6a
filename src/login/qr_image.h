// QR codes as SVG images (ISO/IEC 18004 through libqrencode), for the waiting page.
//
// Thread-safety: pure function (libqrencode's encoder is reentrant).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace idscheme::login {

// An SVG document of `text` as a QR code (error correction M, a four-module quiet zone), sized
// by its viewBox so the page's CSS scales it. The text is also in the image's <desc> (it is no
// secret: the picture shows it), for screen readers' sake and for tests, which have no camera.
// InvalidArgument when the text does not fit.
Result<std::string> QrSvg(std::string_view text);

}  // namespace idscheme::login
