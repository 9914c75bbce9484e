/* The status table, messages and the thread's last error. */
#include "runner.h"

TEST(every_status_has_a_distinct_name_and_text) {
    static const gru_status all[] = {
#define X_(name, code, text) GRU_##name,
        GRU_STATUS_MAP(X_)
#undef X_
    };
    const size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(strncmp(gru_status_name(all[i]), "GRU_", 4) == 0);
        CHECK(strlen(gru_status_str(all[i])) > 0);
        for (size_t j = 0; j < i; j++) CHECK(strcmp(gru_status_name(all[i]), gru_status_name(all[j])) != 0);
    }
    CHECK(strcmp(gru_status_str(GRU_OK), "success") == 0);
    CHECK(strcmp(gru_status_name((gru_status)12345), "GRU_UNKNOWN") == 0);
    CHECK(strcmp(gru_status_str((gru_status)-999), "unknown status") == 0);
}

TEST(last_error_names_the_argument) {
    CHECK_STATUS(gru_cell_config_init(NULL, 1, 1), GRU_E_NULL);
    CHECK(strstr(gru_last_error(), "cfg") != NULL);
}

TEST(dtype_sizes) {
    CHECK(gru_dtype_size(GRU_F32) == 4 && gru_dtype_size(GRU_F64) == 8);
    CHECK(gru_dtype_size((gru_dtype)0) == 0);
    CHECK(strcmp(gru_version(), "0.1.0") == 0);
}

void tests_status(void);
void tests_status(void) {
    TR_RUN(every_status_has_a_distinct_name_and_text);
    TR_RUN(last_error_names_the_argument);
    TR_RUN(dtype_sizes);
}
