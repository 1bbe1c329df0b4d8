#include "actors/node.hpp"

int main(int argc, char** argv) { return vr::run_node(argc, argv); }
