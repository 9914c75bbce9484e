#include "runner.h"

void tests_regularizers(void);
void tests_regularizers(void) {}
