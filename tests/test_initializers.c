#include "runner.h"

void tests_initializers(void);
void tests_initializers(void) {}
