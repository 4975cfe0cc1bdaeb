#ifndef SMARTNATION_CMOSQUITTO_SHIM_H
#define SMARTNATION_CMOSQUITTO_SHIM_H
// libmosquitto's C API, exposed to Swift as the CMosquitto module.
#include <mosquitto.h>
#endif
