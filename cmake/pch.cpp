// The translation unit that builds the precompiled header shared by every libtorch target (CMakeLists.txt).
