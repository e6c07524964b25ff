#include "syllo/status.h"

namespace syllo {

std::string Status::ToString() const {
  if (ok()) return "ok";
  const char* name = "error";
  switch (code()) {
    case StatusCode::kOk: name = "ok"; break;
    case StatusCode::kInvalidArgument: name = "invalid argument"; break;
    case StatusCode::kNotFound: name = "not found"; break;
    case StatusCode::kAlreadyExists: name = "already exists"; break;
    case StatusCode::kIoError: name = "I/O error"; break;
    case StatusCode::kCorruption: name = "corruption"; break;
    case StatusCode::kLimitExceeded: name = "limit exceeded"; break;
    case StatusCode::kCancelled: name = "cancelled"; break;
    case StatusCode::kInternal: name = "internal error"; break;
  }
  return std::string(name) + ": " + message();
}

}  // namespace syllo
