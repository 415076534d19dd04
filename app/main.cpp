#include "app/cli.hpp"

int main(int argc, char** argv) { return tp::run_cli(argc, argv); }
