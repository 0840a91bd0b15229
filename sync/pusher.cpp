#include "pusher.hpp"
