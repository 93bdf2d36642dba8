// The one error type of the io area: a file (or an in-memory matrix bound for
// one) does not have the shape, encoding or content it must have. Messages
// name the file, the object inside it and the problem.
#pragma once

#include <stdexcept>

namespace bmfm::io {

class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace bmfm::io
