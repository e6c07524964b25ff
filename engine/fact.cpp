#include "engine/fact.h"

namespace syllo::engine {

std::string_view OriginName(Origin origin) {
  switch (origin) {
    case Origin::kAsserted: return "asserted";
    case Origin::kDerived: return "derived";
    case Origin::kUser: return "user";
    case Origin::kModel: return "model";
  }
  return "?";
}

bool ParseOrigin(std::string_view text, Origin* out) {
  for (Origin o : {Origin::kAsserted, Origin::kDerived, Origin::kUser, Origin::kModel}) {
    if (text == OriginName(o)) {
      *out = o;
      return true;
    }
  }
  return false;
}

}  // namespace syllo::engine
